// Compares two TTrees value by value, entry by entry: leaf branches and std::vector<float|double>
// branches. `specs` is "GLOB=SPEC[,GLOB=SPEC...]" (wildcard globs on branch names, the first match
// wins; SPEC as in baler_bounds.h): float and double values of matching branches are judged by
// that spec, every other value must be bit-exact. Prints one line per bad value (at most 20), one
// line per branch "compare_trees BRANCH: VALUES CHANGED MUST BAD UNROUNDED" (baler_bounds.h's
// Tally) and the summary
//    "compare_trees: ENTRIES entries, V C M B U values changed must bad unrounded, plugin loaded 0|1"
// where the last says whether ROOT loaded libBalerROOT by itself (this macro loads nothing).
// Returns 0 when no value is BAD or UNROUNDED.
#include "baler_bounds.h"

#include "TBranchElement.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TObjArray.h"
#include "TObjString.h"
#include "TRegexp.h"
#include "TSystem.h"
#include "TTree.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Rule {
   TRegexp glob;
   BalerTest::Spec spec;
};

bool ParseRules(const TString &text, std::vector<Rule> &rules)
{
   std::unique_ptr<TObjArray> parts(text.Tokenize(","));
   for (auto *part : TRangeDynCast<TObjString>(parts.get())) {
      const TString rule = part->GetString().Strip(TString::kBoth);
      const Ssiz_t equals = rule.First('=');
      const BalerTest::Spec spec = BalerTest::Spec::Parse(TString(rule(equals + 1, rule.Length())).Data());
      if (equals <= 0 || spec.kind == BalerTest::Spec::kInvalid) {
         printf("compare_trees: bad rule \"%s\"\n", rule.Data());
         return false;
      }
      rules.push_back({TRegexp(TString(rule(0, equals)).Data(), kTRUE), spec});
   }
   return true;
}

/// The spec of the first rule whose glob matches the whole branch name; lossless when none does.
BalerTest::Spec SpecFor(const std::vector<Rule> &rules, const TString &branchName)
{
   for (const auto &rule : rules) {
      Ssiz_t length = 0;
      if (rule.glob.Index(branchName, &length) == 0 && length == branchName.Length())
         return rule.spec;
   }
   return BalerTest::Spec();
}

/// A std::vector<float> or std::vector<double> branch, read through its own addresses.
struct VectorBranch {
   std::string name;
   bool isDouble;
   BalerTest::Spec spec;
   std::vector<float> *fa = nullptr, *fb = nullptr;
   std::vector<double> *da = nullptr, *db = nullptr;
};

} // namespace

int compare_trees(const char *pathA, const char *pathB, const char *treeName, const char *specs = "")
{
   std::unique_ptr<TFile> fileA(TFile::Open(pathA)), fileB(TFile::Open(pathB));
   if (!fileA || !fileB || fileA->IsZombie() || fileB->IsZombie())
      return 1;
   auto *a = fileA->Get<TTree>(treeName);
   auto *b = fileB->Get<TTree>(treeName);
   if (!a || !b)
      return 2;
   if (a->GetEntries() != b->GetEntries()) {
      printf("compare_trees: entries differ: %lld vs %lld\n", a->GetEntries(), b->GetEntries());
      return 3;
   }
   std::vector<Rule> rules;
   if (!ParseRules(specs, rules))
      return 4;
   std::vector<std::pair<TLeaf *, TLeaf *>> leaves;
   std::vector<VectorBranch> vectors;
   vectors.reserve(a->GetListOfLeaves()->GetEntriesFast());
   for (auto *leaf : TRangeDynCast<TLeaf>(a->GetListOfLeaves())) {
      TBranch *branch = leaf->GetBranch();
      auto *element = dynamic_cast<TBranchElement *>(branch);
      if (element) {
         const std::string type = element->GetClassName();
         if (type != "vector<float>" && type != "vector<double>") {
            printf("compare_trees: branch %s of type %s is not supported\n", branch->GetName(), type.c_str());
            return 4;
         }
         vectors.push_back({branch->GetName(), type == "vector<double>", SpecFor(rules, branch->GetName())});
         continue;
      }
      TLeaf *other = b->GetLeaf(branch->GetName(), leaf->GetName());
      if (!other) {
         printf("compare_trees: leaf %s.%s missing in %s\n", branch->GetName(), leaf->GetName(), pathB);
         return 4;
      }
      leaves.emplace_back(leaf, other);
   }
   for (auto &v : vectors) {
      a->SetBranchAddress(v.name.c_str(), v.isDouble ? static_cast<void *>(&v.da) : static_cast<void *>(&v.fa));
      b->SetBranchAddress(v.name.c_str(), v.isDouble ? static_cast<void *>(&v.db) : static_cast<void *>(&v.fb));
   }
   std::map<std::string, BalerTest::Tally> tallies;
   long long reported = 0;
   auto report = [&](bool good, Long64_t entry, const std::string &name, int k, double x, double y) {
      if (!good && ++reported <= 20)
         printf("compare_trees: entry %lld %s[%d]: %.9g became %.9g\n", entry, name.c_str(), k, x, y);
   };
   for (Long64_t entry = 0; entry < a->GetEntries(); ++entry) {
      if (a->GetEntry(entry) <= 0 || b->GetEntry(entry) <= 0) {
         printf("compare_trees: entry %lld could not be read\n", entry);
         return 5;
      }
      for (auto &[leafA, leafB] : leaves) {
         const std::string name = leafA->GetBranch()->GetName();
         BalerTest::Tally &tally = tallies[name];
         const int len = leafA->GetLen();
         if (len != leafB->GetLen()) {
            ++tally.bad;
            report(false, entry, name, -1, len, leafB->GetLen());
            continue;
         }
         const TString type = leafA->GetTypeName();
         const BalerTest::Spec spec = SpecFor(rules, name);
         for (int k = 0; k < len; ++k) {
            bool good;
            if (type == "Float_t")
               good = tally.Add(spec, static_cast<float *>(leafA->GetValuePointer())[k],
                                static_cast<float *>(leafB->GetValuePointer())[k]);
            else if (type == "Double_t")
               good = tally.Add(spec, static_cast<double *>(leafA->GetValuePointer())[k],
                                static_cast<double *>(leafB->GetValuePointer())[k]);
            else
               good = tally.AddExact(static_cast<char *>(leafA->GetValuePointer()) + k * leafA->GetLenType(),
                                     static_cast<char *>(leafB->GetValuePointer()) + k * leafA->GetLenType(),
                                     leafA->GetLenType());
            report(good, entry, name, k, leafA->GetValue(k), leafB->GetValue(k));
         }
      }
      for (auto &v : vectors) {
         BalerTest::Tally &tally = tallies[v.name];
         const size_t size = v.isDouble ? v.da->size() : v.fa->size();
         if (size != (v.isDouble ? v.db->size() : v.fb->size())) {
            ++tally.bad;
            report(false, entry, v.name, -1, size, v.isDouble ? v.db->size() : v.fb->size());
            continue;
         }
         for (size_t k = 0; k < size; ++k) {
            const double x = v.isDouble ? (*v.da)[k] : (*v.fa)[k], y = v.isDouble ? (*v.db)[k] : (*v.fb)[k];
            report(v.isDouble ? tally.Add(v.spec, (*v.da)[k], (*v.db)[k]) : tally.Add(v.spec, (*v.fa)[k], (*v.fb)[k]),
                   entry, v.name, int(k), x, y);
         }
      }
   }
   BalerTest::Tally total;
   for (auto &[name, tally] : tallies) {
      printf("compare_trees %s: %s\n", name.c_str(), tally.Numbers().c_str());
      total.Merge(tally);
   }
   const bool loaded = TString(gSystem->GetLibraries()).Contains("libBalerROOT");
   printf("compare_trees: %lld entries, %s values changed must bad unrounded, plugin loaded %d\n", a->GetEntries(),
          total.Numbers().c_str(), loaded);
   return total.bad == 0 && total.unrounded == 0 ? 0 : 6;
}
