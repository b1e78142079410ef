// Benchmark reader: every entry of every branch, summing the floats (so nothing is optimised
// away), `times` times over (each time opening the file anew). Prints "root_io_read: SECONDS SUM
// CPU_SECONDS": wall and CPU time of the whole, plugin loading and file opening included.
#include "TFile.h"
#include "TLeaf.h"
#include "TStopwatch.h"
#include "TTree.h"

#include <memory>
#include <vector>

int root_io_read(const char *path, int times = 1)
{
   TStopwatch watch;
   double sum = 0;
   for (int pass = 0; pass < times; ++pass) {
      std::unique_ptr<TFile> file(TFile::Open(path));
      auto *tree = file->Get<TTree>("Events");
      std::vector<TLeaf *> floats;
      for (auto *leaf : TRangeDynCast<TLeaf>(tree->GetListOfLeaves()))
         if (TString(leaf->GetTypeName()) == "Float_t")
            floats.push_back(leaf);
      for (Long64_t entry = 0; entry < tree->GetEntries(); ++entry) {
         tree->GetEntry(entry);
         for (auto *leaf : floats)
            for (int i = 0; i < leaf->GetLen(); ++i)
               sum += leaf->GetValue(i);
      }
   }
   printf("root_io_read: %.4f %.6e %.4f\n", watch.RealTime(), sum, watch.CpuTime());
   return 0;
}
