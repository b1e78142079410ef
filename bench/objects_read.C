// bench/objects_hzz.py's reader. objects_read(path, tree, glob): every branch off but those matching
// `glob`, GetEntry over every entry, prints "objects_read: SECONDS s" (wall time of the loop).
// With glob "" it instead writes `copies` copies of the tree, one after the other, to `out` (ZSTD-505).
#include "TChain.h"
#include "TFile.h"
#include "TStopwatch.h"
#include "TTree.h"

#include <cstdio>
#include <memory>

int objects_read(const char *path, const char *treeName, const char *glob, int copies = 0, const char *out = "")
{
   if (!*glob) {
      TChain chain(treeName);
      for (int i = 0; i < copies; ++i)
         chain.Add(path);
      TFile file(out, "RECREATE");
      file.SetCompressionSettings(505);
      chain.CloneTree(-1, "fast");
      file.Write();
      return 0;
   }
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file ? file->Get<TTree>(treeName) : nullptr;
   if (!tree)
      return 1;
   tree->SetBranchStatus("*", false);
   tree->SetBranchStatus(glob, true);
   TStopwatch watch;
   Long64_t bytes = 0;
   for (Long64_t entry = 0; entry < tree->GetEntries(); ++entry)
      bytes += tree->GetEntry(entry);
   watch.Stop();
   std::printf("objects_read: %.6f s, %lld bytes\n", watch.RealTime(), bytes);
   return 0;
}
