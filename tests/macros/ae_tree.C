// Writes tree "t" whose entries are vectors of 8 correlated floats (`cov[8]/F`, a stand-in for a
// covariance row: two hidden factors and a little noise, so a model with a latent of 2 predicts
// them well), beside a plain float `y/F` and a counter `n/I`.
//
//    ae_tree(path, spec, entries, branch = "cov", end = "close")
//      `spec` "zstd": ROOT's ZSTD-505 everywhere (the reference); otherwise a Baler codec spec given
//      to Baler::SetCodec for `branch` on a ZSTD-505 file. Prints "ae_tree: COV_ZIPBYTES" and returns 0,
//      or prints "ae_tree error: MESSAGE" and returns 1 when the codec is refused.
//      `end` "file written, then killed" (TFile::Write, then the process ends as a killed job's
//      does, without closing the file) or "tree written, then killed" (TTree::Write alone, no
//      StreamerInfo: ROOT recovers the file's keys when it is opened); or "zeros first, saved often":
//      the first 400 rows all zeros, which no model makes smaller, in clusters of 200 entries with an
//      AutoSave every 400 (a StreamerInfo written before the model codes a basket).
#include "Baler/Baler.h"

#include "TFile.h"
#include "TRandom3.h"
#include "TTree.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <unistd.h>

/// One row of `cov`: a scale and a shape drawn from `random`, and a little noise on each value.
void FillAeRow(TRandom3 &random, Float_t cov[8])
{
   const double scale = std::exp(random.Gaus(0, 1)), shape = random.Uniform(-1, 1);
   for (int i = 0; i < 8; ++i)
      cov[i] = static_cast<Float_t>(scale * (1 + 0.1 * i + 0.5 * shape * (i % 3 - 1)) * (1 + 1e-3 * random.Gaus(0, 1)));
}

int ae_tree(const char *path, const char *spec, int entries, const char *branch = "cov", const char *end = "close")
{
   TFile file(path, "RECREATE", "", 505);
   TTree tree("t", "rows of 8 correlated floats");
   Float_t cov[8], y = 0;
   Int_t n = 0;
   tree.Branch("cov", cov, "cov[8]/F");
   tree.Branch("y", &y, "y/F");
   tree.Branch("n", &n, "n/I");
   if (std::string(spec) != "zstd") {
      try {
         Baler::SetCodec(&tree, branch, Baler::Codec::Parse(spec));
      } catch (const std::invalid_argument &e) {
         std::printf("ae_tree error: %s\n", e.what());
         return 1;
      }
   }
   const bool zerosFirst = std::string(end) == "zeros first, saved often";
   if (zerosFirst) {
      tree.SetAutoFlush(200);
      tree.SetAutoSave(400);
   }
   TRandom3 random(1);
   for (int entry = 0; entry < entries; ++entry) {
      FillAeRow(random, cov);
      if (zerosFirst && entry < 400)
         std::fill(cov, cov + 8, 0.f);
      y = static_cast<Float_t>(random.Gaus(0, 1));
      n = entry;
      tree.Fill();
   }
   tree.Write();
   std::printf("ae_tree: %lld\n", tree.GetBranch("cov")->GetZipBytes());
   if (std::string(end) == "file written, then killed")
      file.Write();
   if (std::string(end) != "close" && !zerosFirst) {
      std::fflush(stdout);
      _exit(0);
   }
   return 0;
}
