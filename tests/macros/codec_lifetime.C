// Issue 14's reproduction: a program writes one tree per file in a loop and calls Baler::SetCodec on
// the first tree only. Each later tree (new TTree, same name, same branch name, very likely at the
// same address as the deleted one) must be written with its file's own setting, never with the codec
// chosen for a branch that no longer exists. With `threads` > 1 every thread runs its own loop at once.
//
// Prints `codec_lifetime: <unchanged values in the files given bits:1> <unchanged values in the other
// files> <values in the other files>`; the test expects 0 and the last two equal.
#include "Baler/Baler.h"
#include "TFile.h"
#include "TROOT.h"
#include "TTree.h"

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kEntries = 1000;

float ValueOf(int entry)
{
   return 1.2345f + 0.001f * entry; // not representable with 1 mantissa bit: bits:1 would change it
}

void WriteFile(const std::string &path, bool chooseCodec)
{
   TFile file(path.c_str(), "RECREATE", "", 505);
   auto *tree = new TTree("t", "t");
   Float_t x = 0;
   tree->Branch("x", &x, "x/F");
   if (chooseCodec && Baler::SetCodec(tree, "x", Baler::Codec::Bits(1)) != 1)
      std::printf("codec_lifetime: SetCodec matched nothing\n");
   for (int entry = 0; entry < kEntries; ++entry) {
      x = ValueOf(entry);
      tree->Fill();
   }
   tree->Write();
   delete tree;
}

/// How many values of a file written without a codec read back exactly.
int CountUnchanged(const std::string &path)
{
   TFile file(path.c_str());
   auto *tree = file.Get<TTree>("t");
   if (!tree)
      return -1;
   Float_t x = 0;
   tree->SetBranchAddress("x", &x);
   int unchanged = 0;
   for (int entry = 0; entry < tree->GetEntries(); ++entry)
      if (tree->GetEntry(entry) > 0 && x == ValueOf(entry))
         ++unchanged;
   tree->ResetBranchAddresses();
   return unchanged;
}

} // namespace

int codec_lifetime(const char *directory, int threads, int filesPerThread)
{
   if (threads > 1)
      ROOT::EnableThreadSafety();
   auto pathOf = [&](int thread, int index) {
      return std::string(directory) + "/t" + std::to_string(thread) + "_f" + std::to_string(index) + ".root";
   };
   std::vector<std::thread> writers;
   for (int thread = 0; thread < threads; ++thread)
      writers.emplace_back([&, thread] {
         for (int index = 0; index < filesPerThread; ++index)
            WriteFile(pathOf(thread, index), index == 0);
      });
   for (auto &writer : writers)
      writer.join();

   long unchangedWithCodec = 0, unchanged = 0, expected = 0;
   for (int thread = 0; thread < threads; ++thread) {
      unchangedWithCodec += CountUnchanged(pathOf(thread, 0));
      for (int index = 1; index < filesPerThread; ++index) {
         unchanged += CountUnchanged(pathOf(thread, index));
         expected += kEntries;
      }
   }
   std::printf("codec_lifetime: %ld %ld %ld\n", unchangedWithCodec, unchanged, expected);
   return 0;
}
