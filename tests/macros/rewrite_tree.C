// Copies one TTree entry by entry into a new file, every branch with the given compression
// setting, so that every basket is decompressed and written again by the plugin under test.
// With `codecGlob`, the matching branches also get Baler::SetCodec(codecSpec).
#include "Baler/Baler.h" // loads libBalerROOT, so the new baskets go through the plugin
#include "TBranch.h"
#include "TFile.h"
#include "TTree.h"

#include <memory>

int rewrite_tree(const char *inPath, const char *outPath, const char *treeName, int settings,
                 const char *codecGlob = "", const char *codecSpec = "")
{
   std::unique_ptr<TFile> in(TFile::Open(inPath));
   if (!in || in->IsZombie())
      return 1;
   auto *tree = in->Get<TTree>(treeName);
   if (!tree)
      return 2;
   TFile out(outPath, "RECREATE");
   out.SetCompressionSettings(settings);
   TTree *copy = tree->CloneTree(0);
   for (auto *branch : TRangeDynCast<TBranch>(copy->GetListOfBranches()))
      branch->SetCompressionSettings(settings);
   if (*codecGlob)
      printf("rewrite_tree: SetCodec matched %d branches\n",
             Baler::SetCodec(copy, codecGlob, Baler::Codec::Parse(codecSpec)));
   copy->CopyEntries(tree);
   copy->Write();
   printf("rewrite_tree: %lld entries, %lld bytes on disk\n", copy->GetEntries(), copy->GetZipBytes());
   return 0;
}
