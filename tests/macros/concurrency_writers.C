// `writers` threads at once, each writing its own file `prefix`I.root with a tree "tI" of two
// float branches, x and y, under ZSTD-505. Even writers choose bits:(3+I) for x with
// Baler::SetCodec; odd writers get it from BALER_POLICY (set by the caller: "tI/x=bits:(3+I)").
// y is chosen by nobody and must stay exact. With `reference` set, the same trees are written
// one after another with no codec at all, for comparison. Prints "concurrency_writers: FILES".
#include "Baler/Baler.h"
#include "TFile.h"
#include "TROOT.h"
#include "TRandom3.h"
#include "TTree.h"

#include <string>
#include <thread>
#include <vector>

namespace {

void WriteOne(const std::string &prefix, int index, bool reference)
{
   const std::string name = "t" + std::to_string(index);
   TFile file((prefix + std::to_string(index) + ".root").c_str(), "RECREATE", "", 505);
   TTree tree(name.c_str(), name.c_str());
   Float_t x = 0, y = 0;
   tree.Branch("x", &x, "x/F");
   tree.Branch("y", &y, "y/F");
   if (!reference && index % 2 == 0)
      Baler::SetCodec(&tree, "x", Baler::Codec::Bits(3 + index));
   TRandom3 random(100 + index);
   for (int entry = 0; entry < 20000; ++entry) {
      x = random.Gaus(0, 100);
      y = random.Gaus(5, 1);
      tree.Fill();
   }
   tree.Write();
}

} // namespace

int concurrency_writers(const char *prefix, int writers, bool reference)
{
   if (reference) {
      for (int i = 0; i < writers; ++i)
         WriteOne(prefix, i, true);
   } else {
      ROOT::EnableThreadSafety();
      std::vector<std::thread> threads;
      for (int i = 0; i < writers; ++i)
         threads.emplace_back(WriteOne, std::string(prefix), i, false);
      for (auto &thread : threads)
         thread.join();
   }
   printf("concurrency_writers: %d\n", writers);
   return 0;
}
