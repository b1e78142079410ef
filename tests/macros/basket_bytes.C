// Prints, for every basket of every branch of a tree (sub-branches included, depth first), the
// bytes of the basket as stored on disk after its key header (ROOT's compression block headers and
// compressed data) as an MD5 sum: "basket_bytes BRANCH BASKET: NBYTES MD5". Two files whose
// baskets were copied byte for byte print the same lines; a basket decompressed and compressed
// again, even to the same values, shows up. Baskets still in memory (kept in the tree key) are
// listed as "in tree key".
//
// Also prints what must survive any rewrite: "basket_entries BRANCH: FIRST ENTRY OF EACH BASKET
// ... / ENTRIES" (entry boundaries) and "clusters: FIRST ENTRY OF EACH CLUSTER ...".
#include "TBranch.h"
#include "TFile.h"
#include "TMD5.h"
#include "TTree.h"

#include <memory>
#include <vector>

namespace {

bool PrintBaskets(TFile &file, TBranch &branch, long long &baskets)
{
   printf("basket_entries %s:", branch.GetName());
   for (int i = 0; i <= branch.GetWriteBasket() && i < branch.GetMaxBaskets(); ++i)
      if (i < branch.GetWriteBasket() || branch.GetBasketEntry()[i] < branch.GetEntries())
         printf(" %lld", branch.GetBasketEntry()[i]);
   printf(" / %lld\n", branch.GetEntries());
   for (int i = 0; i < branch.GetWriteBasket(); ++i) {
      const Long64_t seek = branch.GetBasketSeek(i);
      const Int_t nbytes = branch.GetBasketBytes()[i];
      if (seek == 0 || nbytes <= 0) {
         printf("basket_bytes %s %d: in tree key\n", branch.GetName(), i);
         continue;
      }
      std::vector<char> record(nbytes);
      if (file.ReadBuffer(record.data(), seek, nbytes)) {
         printf("basket_bytes: cannot read basket %d of %s\n", i, branch.GetName());
         return false;
      }
      // TKey header: Nbytes (4), version (2), ObjLen (4), Datime (4), KeyLen (2), ...
      const int keyLength = (static_cast<unsigned char>(record[14]) << 8) | static_cast<unsigned char>(record[15]);
      TMD5 md5;
      md5.Update(reinterpret_cast<const UChar_t *>(record.data() + keyLength), nbytes - keyLength);
      md5.Final();
      printf("basket_bytes %s %d: %d %s\n", branch.GetName(), i, nbytes - keyLength, md5.AsString());
      ++baskets;
   }
   for (auto *sub : TRangeDynCast<TBranch>(branch.GetListOfBranches()))
      if (sub && !PrintBaskets(file, *sub, baskets))
         return false;
   return true;
}

} // namespace

int basket_bytes(const char *path, const char *treeName)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file ? file->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   long long baskets = 0;
   for (auto *branch : TRangeDynCast<TBranch>(tree->GetListOfBranches()))
      if (!PrintBaskets(*file, *branch, baskets))
         return 2;
   printf("clusters:");
   auto clusters = tree->GetClusterIterator(0);
   for (Long64_t start = clusters(); start < tree->GetEntries(); start = clusters())
      printf(" %lld", start);
   printf("\n");
   printf("basket_bytes: %lld baskets\n", baskets);
   return 0;
}
