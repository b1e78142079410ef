// Compares two TTrees of leaf branches value by value. Float and double leaves of branches whose
// names match `boundGlob` (TRegexp wildcard; "" for none) may differ within |b-a| <= rel*|a| + abs
// (rel and abs as given: pass one of them, the other 0); non-finite values must stay bit-exact.
// Every other value must be bit-exact. Prints one line per difference (at most 20) and a summary
// "compare_trees: ENTRIES entries, VALUES values, DIFFERENCES differences, CHANGED changed within bound".
#include "TBranch.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TRegexp.h"
#include "TTree.h"

#include <cmath>
#include <cstring>
#include <memory>

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

} // namespace

int compare_trees(const char *pathA, const char *pathB, const char *treeName, const char *boundGlob = "",
                  double rel = 0, double abs = 0)
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
   const TRegexp glob(boundGlob, kTRUE);
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
         const bool bounded = *boundGlob && TString(leafA->GetBranch()->GetName()).Index(glob) == 0 &&
                              (type == "Float_t" || type == "Double_t");
         for (int k = 0; k < len; ++k) {
            int verdict;
            if (!bounded)
               verdict = std::memcmp(static_cast<char *>(leafA->GetValuePointer()) + k * leafA->GetLenType(),
                                     static_cast<char *>(leafB->GetValuePointer()) + k * leafA->GetLenType(),
                                     leafA->GetLenType()) == 0 ? 0 : 2;
            else if (type == "Float_t")
               verdict = CompareWithin<float>(leafA->GetValuePointer(), leafB->GetValuePointer(), k, rel, abs);
            else
               verdict = CompareWithin<double>(leafA->GetValuePointer(), leafB->GetValuePointer(), k, rel, abs);
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
