// Compares two TTrees value by value, bit for bit: same entries, same branches, and for every
// entry the same bytes in every leaf. Prints one line per difference (at most 20) and a summary.
#include "TBranch.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TTree.h"

#include <cstring>
#include <memory>

int compare_trees(const char *pathA, const char *pathB, const char *treeName)
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
   Long64_t values = 0, differences = 0;
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
         const bool same = len == leafB->GetLen() &&
                           std::memcmp(leafA->GetValuePointer(), leafB->GetValuePointer(),
                                       size_t(len) * leafA->GetLenType()) == 0;
         if (!same && ++differences <= 20)
            printf("compare_trees: entry %lld leaf %s differs\n", entry, leafA->GetName());
      }
   }
   printf("compare_trees: %lld entries, %lld values, %lld differences\n", a->GetEntries(), values, differences);
   return differences == 0 ? 0 : 6;
}
