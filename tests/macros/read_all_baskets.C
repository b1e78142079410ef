// Reads (decompresses) every basket on file of every branch of a tree, sub-branches included,
// without streaming an object: what ROOT can read of classes that have no dictionary. Prints
// "read_all_baskets: BASKETS FAILED ENTRIES", where a basket fails when it cannot be read or holds
// another number of entries than the branch's basket boundaries say; ENTRIES is the sum over
// branches of the entries in the baskets read.
#include "TBasket.h"
#include "TBranch.h"
#include "TFile.h"
#include "TTree.h"

#include <memory>

namespace {

void ReadBaskets(TBranch &branch, long long &baskets, long long &failed, long long &entries)
{
   for (int i = 0; i < branch.GetWriteBasket(); ++i) {
      // The next basket starts where this one ends; after the last one on file comes the basket kept
      // in memory (in the tree key), which may be empty.
      const Long64_t expected = branch.GetBasketEntry()[i + 1] - branch.GetBasketEntry()[i];
      TBasket *basket = branch.GetBasket(i);
      ++baskets;
      if (!basket || basket->GetNevBuf() != expected) {
         printf("read_all_baskets: basket %d of %s: %s\n", i, branch.GetName(), basket ? "wrong entries" : "unreadable");
         ++failed;
      } else {
         entries += basket->GetNevBuf();
      }
      branch.DropBaskets("all");
   }
   for (auto *sub : TRangeDynCast<TBranch>(branch.GetListOfBranches()))
      if (sub)
         ReadBaskets(*sub, baskets, failed, entries);
}

} // namespace

int read_all_baskets(const char *path, const char *treeName)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file ? file->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   long long baskets = 0, failed = 0, entries = 0;
   for (auto *branch : TRangeDynCast<TBranch>(tree->GetListOfBranches()))
      if (branch)
         ReadBaskets(*branch, baskets, failed, entries);
   printf("read_all_baskets: %lld %lld %lld\n", baskets, failed, entries);
   return 0;
}
