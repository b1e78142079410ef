// Draws `expression` from tree `treeName` of `path` under IMT with TTreeCacheUnzip's parallel
// unzipping, then closes the file; prints "draw_parallel_unzip: SELECTED" (TTree::Draw's result).
#include "ROOT/RConfig.hxx"
#include "TFile.h"
#include "TROOT.h"
#include "TTree.h"
#include "TTreeCacheUnzip.h"

#include <cstdio>
#include <memory>

int draw_parallel_unzip(const char *path, const char *treeName, const char *expression)
{
   ROOT::EnableImplicitMT(2);
   TTreeCacheUnzip::SetParallelUnzip(TTreeCacheUnzip::kEnable);
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file ? file->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   tree->SetCacheSize(10000000);
   std::printf("draw_parallel_unzip: %lld\n", tree->Draw(expression, "", "goff"));
   return 0;
}
