// Reads every entry of every branch separately; prints "read_all_branches: OK FAILED" where a
// branch counts as failed when any of its entries could not be read. Keeps going after errors.
#include "TBranch.h"
#include "TFile.h"
#include "TTree.h"

#include <memory>

int read_all_branches(const char *path, const char *treeName)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file ? file->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   int ok = 0, failed = 0;
   for (auto *branch : TRangeDynCast<TBranch>(tree->GetListOfBranches())) {
      bool good = true;
      for (Long64_t entry = 0; entry < tree->GetEntries(); ++entry)
         good = branch->GetEntry(entry) >= 0 && good;
      good ? ++ok : ++failed;
   }
   printf("read_all_branches: %d %d\n", ok, failed);
   return 0;
}
