// An "unmodified program": copies a tree entry by entry with plain ROOT, nothing of Baler in it.
// Run under LD_PRELOAD=libBalerROOT.so with BALER_POLICY set to see the policy applied.
#include "TFile.h"
#include "TTree.h"

#include <memory>

int plain_copy(const char *inPath, const char *outPath, const char *treeName)
{
   std::unique_ptr<TFile> in(TFile::Open(inPath));
   auto *tree = in ? in->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   TFile out(outPath, "RECREATE", "", 505);
   TTree *copy = tree->CloneTree(0);
   copy->CopyEntries(tree);
   copy->Write();
   printf("plain_copy: %lld entries\n", copy->GetEntries());
   return 0;
}
