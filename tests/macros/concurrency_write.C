// Writes the same deterministic tree twice: with ZSTD-505 (the reference) and with Baler bits:10
// while ROOT's implicit multi-threading compresses baskets on `threads` worker threads. Prints
// "concurrency_write: POOL BLOCKS" with IMT's pool size and the number of Baler blocks the plugin
// compressed on threads other than the one that loaded it (BalerDiagnosticCount in Hooks.cxx).
#include "Baler/Baler.h"
#include "TFile.h"
#include "TROOT.h"
#include "TRandom3.h"
#include "TTree.h"

#include <string>

extern "C" long long BalerDiagnosticCount(const char *name);

namespace {

void WriteTree(const char *path, int settings, int nEvents)
{
   TFile file(path, "RECREATE", "", settings);
   const int kBranches = 8, kMax = 32;
   Int_t n = 0;
   Float_t values[kBranches][kMax];
   TTree tree("Events", "concurrency");
   tree.Branch("n", &n, "n/I");
   for (int b = 0; b < kBranches; ++b) {
      const std::string name = "x" + std::to_string(b);
      tree.Branch(name.c_str(), values[b], (name + "[n]/F").c_str())->SetBasketSize(4000);
   }
   TRandom3 random(7);
   for (int event = 0; event < nEvents; ++event) {
      n = random.Integer(kMax);
      for (int b = 0; b < kBranches; ++b)
         for (int i = 0; i < n; ++i)
            values[b][i] = random.Gaus(b, 10 + b);
      tree.Fill();
   }
   tree.Write();
}

} // namespace

int concurrency_write(const char *referencePath, const char *balerPath, int nEvents, int threads)
{
   WriteTree(referencePath, 505, nEvents);
   ROOT::EnableImplicitMT(threads);
   const long long before = BalerDiagnosticCount("blocks_off_loading_thread");
   WriteTree(balerPath, Baler::Settings(10), nEvents);
   printf("concurrency_write: %u %lld\n", ROOT::GetThreadPoolSize(),
          BalerDiagnosticCount("blocks_off_loading_thread") - before);
   return 0;
}
