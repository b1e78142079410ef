// Prints, for every branch (sub-branches included, named by their path from the tree: `ev/x`) of
// every tree at the top of a file, the MD5 of the decompressed data of all its baskets as ROOT
// reads them, for tests/test_fixtures.py:
//    "basket_digests TREE BRANCH: BASKETS MD5"        (MD5 of the baskets' data, in order)
//    "basket_digests TREE BRANCH: BASKETS failed I"   (basket I could not be read)
//    "basket_digests: BRANCHES branches"
// A basket's data are its bytes from the end of its key to fLast: everything the branch streams
// into it, without the table of entry offsets that follows (uproot's TBasket.data is the same).
#include "TBasket.h"
#include "TBranch.h"
#include "TFile.h"
#include "TKey.h"
#include "TMD5.h"
#include "TTree.h"

#include <cstdio>
#include <memory>
#include <string>

namespace digests {

int Print(TTree &tree, TObjArray &branches, const std::string &prefix)
{
   int printed = 0;
   for (TObject *object : branches) {
      auto *branch = static_cast<TBranch *>(object);
      const std::string path = prefix + branch->GetName();
      const Int_t baskets = branch->GetWriteBasket();
      TMD5 md5;
      Int_t failed = -1;
      for (Int_t i = 0; i < baskets && failed < 0; ++i) {
         TBasket *basket = branch->GetBasket(i);
         if (!basket || !basket->GetBufferRef()) {
            failed = i;
            break;
         }
         md5.Update(reinterpret_cast<const UChar_t *>(basket->GetBufferRef()->Buffer() + basket->GetKeylen()),
                    basket->GetLast() - basket->GetKeylen());
      }
      md5.Final();
      if (failed >= 0)
         std::printf("basket_digests %s %s: %d failed %d\n", tree.GetName(), path.c_str(), baskets, failed);
      else
         std::printf("basket_digests %s %s: %d %s\n", tree.GetName(), path.c_str(), baskets, md5.AsString());
      printed += 1 + Print(tree, *branch->GetListOfBranches(), path + "/");
   }
   return printed;
}

} // namespace digests

int basket_digests(const char *path)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   if (!file || file->IsZombie())
      return 1;
   int branches = 0;
   for (TObject *object : *file->GetListOfKeys()) {
      auto *key = static_cast<TKey *>(object);
      if (std::string(key->GetClassName()) != "TTree")
         continue;
      if (auto *tree = file->Get<TTree>(key->GetName()))
         branches += digests::Print(*tree, *tree->GetListOfBranches(), "");
   }
   std::printf("basket_digests: %d branches\n", branches);
   return 0;
}
