// Prints, for every basket of every branch of a tree, the bytes of the basket as stored on disk
// after its key header (ROOT's compression block headers and compressed data) as an MD5 sum:
// "basket_bytes BRANCH BASKET: NBYTES MD5". Two files whose baskets were copied byte for byte
// print the same lines; a basket decompressed and compressed again, even to the same values,
// shows up. Baskets still in memory (kept in the tree key) are listed as "in tree key".
#include "TBranch.h"
#include "TFile.h"
#include "TMD5.h"
#include "TTree.h"

#include <memory>
#include <vector>

int basket_bytes(const char *path, const char *treeName)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file ? file->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   long long baskets = 0;
   for (auto *branch : TRangeDynCast<TBranch>(tree->GetListOfBranches())) {
      for (int i = 0; i < branch->GetWriteBasket(); ++i) {
         const Long64_t seek = branch->GetBasketSeek(i);
         const Int_t nbytes = branch->GetBasketBytes()[i];
         if (seek == 0 || nbytes <= 0) {
            printf("basket_bytes %s %d: in tree key\n", branch->GetName(), i);
            continue;
         }
         std::vector<char> record(nbytes);
         if (file->ReadBuffer(record.data(), seek, nbytes)) {
            printf("basket_bytes: cannot read basket %d of %s\n", i, branch->GetName());
            return 2;
         }
         // TKey header: Nbytes (4), version (2), ObjLen (4), Datime (4), KeyLen (2), ...
         const int keyLength = (static_cast<unsigned char>(record[14]) << 8) | static_cast<unsigned char>(record[15]);
         TMD5 md5;
         md5.Update(reinterpret_cast<const UChar_t *>(record.data() + keyLength), nbytes - keyLength);
         md5.Final();
         printf("basket_bytes %s %d: %d %s\n", branch->GetName(), i, nbytes - keyLength, md5.AsString());
         ++baskets;
      }
   }
   printf("basket_bytes: %lld baskets\n", baskets);
   return 0;
}
