// Writes `files` files under implicit MT, FOLDER/imt_I.root, each a tree "t" whose `cov` rows
// (ae_tree.C's) are coded through a model (`spec`, an `ae:` spec) beside `others` uncompressed
// copies of them, every branch with baskets of `basketSize` bytes. The baskets fill at the same
// entry, so they are written at once on IMT's threads; an uncompressed one is little but its
// placement in the file, which goes on while the thread of the `cov` basket writes the model's
// key. Prints "ae_imt_files: POOL FILES" (IMT's pool size, the files written) and returns 0.
#include "ae_tree.C"

#include "TROOT.h"

#include <string>

int ae_imt_files(const char *folder, const char *spec, int files, int others, int entries, int basketSize)
{
   ROOT::EnableImplicitMT(2);
   for (int f = 0; f < files; ++f) {
      TFile file((std::string(folder) + "/imt_" + std::to_string(f) + ".root").c_str(), "RECREATE", "", 505);
      TTree tree("t", "rows of 8 correlated floats, and copies stored uncompressed");
      Float_t cov[8];
      tree.Branch("cov", cov, "cov[8]/F")->SetBasketSize(basketSize);
      for (int b = 0; b < others; ++b) {
         TBranch *copy = tree.Branch(("copy" + std::to_string(b)).c_str(), cov, "cov[8]/F");
         copy->SetBasketSize(basketSize);
         copy->SetCompressionSettings(0);
      }
      Baler::SetCodec(&tree, "cov", Baler::Codec::Parse(spec));
      TRandom3 random(f + 1);
      for (int entry = 0; entry < entries; ++entry) {
         FillAeRow(random, cov);
         tree.Fill();
      }
      tree.Write();
   }
   std::printf("ae_imt_files: %u %d\n", ROOT::GetThreadPoolSize(), files);
   return 0;
}
