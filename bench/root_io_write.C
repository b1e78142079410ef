// Benchmark writer: a deterministic physics-like tree (8 jagged float branches, counters),
// written with the given compression setting. Data come from a cheap inline generator so that
// the time measured is ROOT's filling, compression and I/O. Prints "root_io_write: SECONDS VALUES".
#include "Baler/Baler.h"
#include "TFile.h"
#include "TStopwatch.h"
#include "TTree.h"

#include <cmath>
#include <cstdint>
#include <string>

int root_io_write(const char *path, int settings, int nEvents)
{
   TStopwatch watch;
   TFile file(path, "RECREATE", "", settings);
   const int kBranches = 8, kMax = 11;
   Int_t n = 0;
   Float_t values[kBranches][kMax];
   TTree tree("Events", "benchmark");
   tree.Branch("n", &n, "n/I");
   const char *names[kBranches] = {"Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass",
                                   "Muon_pt", "Muon_eta", "Muon_phi", "Muon_iso"};
   for (int b = 0; b < kBranches; ++b)
      tree.Branch(names[b], values[b], (std::string(names[b]) + "[n]/F").c_str());
   std::uint64_t state = 0x9E3779B97F4A7C15ull;
   auto uniform = [&state] { // xorshift64*: fast and deterministic
      state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
      return ((state * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
   };
   long long total = 0;
   for (int event = 0; event < nEvents; ++event) {
      n = int(uniform() * kMax);
      for (int i = 0; i < n; ++i) {
         values[0][i] = 20 - 30 * std::log(uniform() + 1e-12);     // falling pt spectra
         values[1][i] = 5 * (uniform() - 0.5);                      // eta
         values[2][i] = 6.283185307 * (uniform() - 0.5);            // phi
         values[3][i] = 5 + 10 * uniform() * uniform();             // mass
         values[4][i] = 5 - 15 * std::log(uniform() + 1e-12);
         values[5][i] = 4.8 * (uniform() - 0.5);
         values[6][i] = 6.283185307 * (uniform() - 0.5);
         values[7][i] = -std::log(uniform() + 1e-12) * 0.1;         // isolation
      }
      total += kBranches * n;
      tree.Fill();
   }
   tree.Write();
   file.Close();
   printf("root_io_write: %.4f %lld\n", watch.RealTime(), total);
   return 0;
}
