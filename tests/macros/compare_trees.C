// Compares two TTrees of leaf branches value by value. `bounds` is "GLOB=REL[,GLOB=REL...]" or with
// "GLOB=abs:E" entries: float and double leaves of branches whose names match a GLOB (wildcard; the
// first match wins) may differ within |b-a| <= REL*|a| (or <= E); non-finite values must stay
// bit-exact. Every other value must be bit-exact. Prints one line per difference (at most 20) and a summary
// "compare_trees: ENTRIES entries, VALUES values, DIFFERENCES differences, CHANGED changed within bound".
#include "TBranch.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TObjArray.h"
#include "TObjString.h"
#include "TRegexp.h"
#include "TTree.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

namespace {

/// 0 when equal, 1 when different within the bound, 2 when outside it.
template <typename T>
int CompareWithin(const void *a, const void *b, int index, double rel, double abs)
{
   T x, y;
   std::memcpy(&x, static_cast<const T *>(a) + index, sizeof(T));
   std::memcpy(&y, static_cast<const T *>(b) + index, sizeof(T));
   if (std::memcmp(&x, &y, sizeof(T)) == 0)
      return 0;
   if (!std::isfinite(x))
      return 2;
   return std::fabs(double(y) - double(x)) <= rel * std::fabs(double(x)) + abs ? 1 : 2;
}

struct Bound {
   TRegexp glob;
   double rel, abs;
};

std::vector<Bound> ParseBounds(const TString &bounds)
{
   std::vector<Bound> parsed;
   std::unique_ptr<TObjArray> rules(bounds.Tokenize(","));
   for (auto *rule : TRangeDynCast<TObjString>(rules.get())) {
      const TString text = rule->GetString().Strip(TString::kBoth);
      const Ssiz_t equals = text.First('=');
      const TString glob = text(0, equals), value = text(equals + 1, text.Length());
      if (value.BeginsWith("abs:"))
         parsed.push_back({TRegexp(glob, kTRUE), 0, TString(value(4, value.Length())).Atof()});
      else
         parsed.push_back({TRegexp(glob, kTRUE), value.Atof(), 0});
   }
   return parsed;
}

const Bound *BoundFor(const std::vector<Bound> &bounds, const TString &branchName)
{
   for (const auto &bound : bounds) {
      Ssiz_t length = 0;
      if (bound.glob.Index(branchName, &length) == 0 && length == branchName.Length())
         return &bound;
   }
   return nullptr;
}

} // namespace

int compare_trees(const char *pathA, const char *pathB, const char *treeName, const char *bounds = "")
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
   auto *leavesA = a->GetListOfLeaves();
   auto *leavesB = b->GetListOfLeaves();
   if (leavesA->GetEntriesFast() != leavesB->GetEntriesFast()) {
      printf("compare_trees: leaf counts differ\n");
      return 4;
   }
   const std::vector<Bound> rules = ParseBounds(bounds);
   Long64_t values = 0, differences = 0, changed = 0;
   for (Long64_t entry = 0; entry < a->GetEntries(); ++entry) {
      if (a->GetEntry(entry) <= 0 || b->GetEntry(entry) <= 0) {
         printf("compare_trees: entry %lld could not be read\n", entry);
         return 5;
      }
      for (int i = 0; i < leavesA->GetEntriesFast(); ++i) {
         auto *leafA = static_cast<TLeaf *>(leavesA->UncheckedAt(i));
         auto *leafB = static_cast<TLeaf *>(leavesB->UncheckedAt(i));
         const int len = leafA->GetLen();
         values += len;
         if (len != leafB->GetLen()) {
            if (++differences <= 20)
               printf("compare_trees: entry %lld leaf %s: lengths differ\n", entry, leafA->GetName());
            continue;
         }
         const TString type = leafA->GetTypeName();
         const bool isFloat = type == "Float_t" || type == "Double_t";
         const Bound *bound = isFloat ? BoundFor(rules, leafA->GetBranch()->GetName()) : nullptr;
         for (int k = 0; k < len; ++k) {
            int verdict;
            if (!bound)
               verdict = std::memcmp(static_cast<char *>(leafA->GetValuePointer()) + k * leafA->GetLenType(),
                                     static_cast<char *>(leafB->GetValuePointer()) + k * leafA->GetLenType(),
                                     leafA->GetLenType()) == 0 ? 0 : 2;
            else if (type == "Float_t")
               verdict = CompareWithin<float>(leafA->GetValuePointer(), leafB->GetValuePointer(), k, bound->rel,
                                             bound->abs);
            else
               verdict = CompareWithin<double>(leafA->GetValuePointer(), leafB->GetValuePointer(), k, bound->rel,
                                              bound->abs);
            changed += verdict == 1;
            if (verdict == 2 && ++differences <= 20)
               printf("compare_trees: entry %lld leaf %s[%d]: %.9g vs %.9g\n", entry, leafA->GetName(), k,
                      leafA->GetValue(k), leafB->GetValue(k));
         }
      }
   }
   printf("compare_trees: %lld entries, %lld values, %lld differences, %lld changed within bound\n",
          a->GetEntries(), values, differences, changed);
   return differences == 0 ? 0 : 6;
}
