// ROOT's fast copy of a tree into a new file: TTree::CloneTree(-1, "fast") copies the stored
// baskets byte for byte, under the compression setting of the new file, and nothing else of the
// input file. `order` says what the macro does after writing the copy, as macros and ROOT's own
// tools do: "close" closes the output (the copy still in memory), "delete" deletes the copy first
// (nothing in memory names its baskets any more), "input first" closes the input first (its
// models can no longer be read from it).
#include "TFile.h"
#include "TTree.h"

#include <cstring>
#include <memory>

int fast_copy(const char *inPath, const char *outPath, const char *treeName, int settings, const char *order = "close")
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
   if (std::strcmp(order, "delete") == 0)
      delete copy;
   else if (std::strcmp(order, "input first") == 0)
      in->Close();
   out.Close();
   return 0;
}
