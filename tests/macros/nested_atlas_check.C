// Compares the branches nested_atlas_copy.C copied with the ATLAS file they came from, value by
// value, with nested_check.C's predictions for the codec spec of the copy.
//
//    nested_atlas_check(inPath, copyPath, spec, branches)
//      Prints per branch "nested_check NAME: VALUES CHANGED MUST BAD UNROUNDED" (and NAME.outer,
//      NAME.size for the sizes, which must be equal) and "nested_check: ENTRIES VALUES BAD".
//      Returns 0 when BAD is 0.
#include "nested_check.C"

#include "TObjString.h"

int nested_atlas_check(const char *inPath, const char *copyPath, const char *specText, const char *branches)
{
   using namespace nested;
   Checker check{BalerTest::Spec::Parse(specText), {}};
   if (check.spec.kind == BalerTest::Spec::kInvalid)
      return 1;
   std::unique_ptr<TFile> fa(TFile::Open(inPath)), fb(TFile::Open(copyPath));
   auto *ta = fa ? fa->Get<TTree>("CollectionTree") : nullptr;
   auto *tb = fb ? fb->Get<TTree>("t") : nullptr;
   if (!ta || !tb || ta->GetEntries() != tb->GetEntries())
      return 2;
   std::vector<std::string> names;
   std::unique_ptr<TObjArray> tokens(TString(branches).Tokenize(","));
   for (auto *token : TRangeDynCast<TObjString>(tokens.get()))
      names.push_back(token->GetString().Data());
   ta->SetBranchStatus("*", false);
   std::vector<Nested<float> *> a(names.size(), nullptr), b(names.size(), nullptr);
   for (size_t i = 0; i < names.size(); ++i) {
      ta->SetBranchStatus(names[i].c_str(), true);
      if (ta->SetBranchAddress(names[i].c_str(), &a[i]) < 0 || tb->SetBranchAddress(names[i].c_str(), &b[i]) < 0)
         return 3;
   }
   for (Long64_t entry = 0; entry < ta->GetEntries(); ++entry) {
      if (ta->GetEntry(entry) <= 0 || tb->GetEntry(entry) <= 0)
         return 4;
      for (size_t i = 0; i < names.size(); ++i)
         check.CompareNested(names[i], *a[i], *b[i]);
   }
   const long long bad = check.Print();
   long long values = 0;
   for (auto &[name, t] : check.tallies)
      values += t.values;
   printf("nested_check: %lld %lld %lld\n", ta->GetEntries(), values, bad);
   ta->ResetBranchAddresses();
   tb->ResetBranchAddresses();
   return bad == 0 ? 0 : 5;
}
