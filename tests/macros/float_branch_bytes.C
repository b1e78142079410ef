// Prints, for the float and double branches of a tree, the bytes on disk (GetZipBytes: baskets,
// keys and entry-offset tails) and the number of values, as "float_branch_bytes: ZIP VALUES".
#include "TBranch.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TTree.h"

#include <memory>
#include <vector>

int float_branch_bytes(const char *path, const char *treeName)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file ? file->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   Long64_t zipBytes = 0, values = 0;
   std::vector<TLeaf *> floatLeaves;
   for (auto *branch : TRangeDynCast<TBranch>(tree->GetListOfBranches())) {
      auto *leaf = static_cast<TLeaf *>(branch->GetListOfLeaves()->At(0));
      const TString type = leaf->GetTypeName();
      if (branch->GetListOfLeaves()->GetEntriesFast() != 1 || (type != "Float_t" && type != "Double_t"))
         continue;
      zipBytes += branch->GetZipBytes();
      floatLeaves.push_back(leaf);
   }
   for (Long64_t entry = 0; entry < tree->GetEntries(); ++entry) {
      tree->GetEntry(entry);
      for (auto *leaf : floatLeaves)
         values += leaf->GetLen();
   }
   printf("float_branch_bytes: %lld %lld\n", zipBytes, values);
   return 0;
}
