// ROOT's fast copy of a tree into a new file: TTree::CloneTree(-1, "fast") copies the stored
// baskets byte for byte, under the compression setting of the new file, and nothing else of the
// input file.
#include "TFile.h"
#include "TTree.h"

#include <memory>

int fast_copy(const char *inPath, const char *outPath, const char *treeName, int settings)
{
   std::unique_ptr<TFile> in(TFile::Open(inPath));
   auto *tree = in ? in->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   TFile out(outPath, "RECREATE", "", settings);
   TTree *copy = tree->CloneTree(-1, "fast");
   if (!copy)
      return 1;
   copy->Write();
   printf("fast_copy: %lld entries\n", copy->GetEntries());
   out.Close();
   return 0;
}
