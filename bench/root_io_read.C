// Benchmark reader: every entry of every branch, summing the floats (so nothing is optimised
// away). Prints "root_io_read: SECONDS SUM".
#include "TFile.h"
#include "TLeaf.h"
#include "TStopwatch.h"
#include "TTree.h"

#include <memory>
#include <vector>

int root_io_read(const char *path)
{
   TStopwatch watch;
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file->Get<TTree>("Events");
   std::vector<TLeaf *> floats;
   for (auto *leaf : TRangeDynCast<TLeaf>(tree->GetListOfLeaves()))
      if (TString(leaf->GetTypeName()) == "Float_t")
         floats.push_back(leaf);
   double sum = 0;
   for (Long64_t entry = 0; entry < tree->GetEntries(); ++entry) {
      tree->GetEntry(entry);
      for (auto *leaf : floats)
         for (int i = 0; i < leaf->GetLen(); ++i)
            sum += leaf->GetValue(i);
   }
   printf("root_io_read: %.4f %.6e\n", watch.RealTime(), sum);
   return 0;
}
