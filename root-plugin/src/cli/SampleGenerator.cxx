// baler_generate_sample (CommandApi.h): a synthetic, NanoAOD-like sample, deterministic for a seed.
//
// Tree "Events": jets and muons as jagged leaf arrays (nJet, Jet_pt[nJet]/F ...), electrons as
// std::vector<float>, event scalars, and an 8x8 calorimeter cell array Calo_E[64]/F whose
// neighbouring cells are correlated (showers spread over several cells). Written with ZSTD-505,
// as a plain ROOT file: the input of `baler compress`. Directory "meta" holds a histogram and a
// TNamed with the generator's parameters, so that copies of non-tree objects are exercised too.
#include "CommandCommon.h"

#include "TDirectory.h"
#include "TFile.h"
#include "TH1F.h"
#include "TMath.h"
#include "TNamed.h"
#include "TRandom3.h"
#include "TTree.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace Baler::Cli {
namespace {

constexpr int kMaxJet = 32;
constexpr int kMaxMuon = 16;
constexpr int kCaloSide = 8;
constexpr int kCaloCells = kCaloSide * kCaloSide;

/// A falling (power-law) transverse-momentum spectrum above `minimum` GeV.
double FallingPt(TRandom3 &random, double minimum, double index)
{
   double u = random.Rndm();
   while (u <= 0)
      u = random.Rndm();
   return std::min(minimum * std::pow(u, -1.0 / (index - 1.0)), 6500.0);
}

double Eta(TRandom3 &random, double width, double limit)
{
   double eta;
   do
      eta = random.Gaus(0, width);
   while (std::abs(eta) > limit);
   return eta;
}

struct Event {
   UInt_t run = 0, luminosityBlock = 0;
   ULong64_t event = 0;
   Int_t PV_npvs = 0;
   Float_t PV_z = 0;
   Double_t genWeight = 0;
   Int_t nJet = 0;
   Float_t Jet_pt[kMaxJet], Jet_eta[kMaxJet], Jet_phi[kMaxJet], Jet_mass[kMaxJet], Jet_btag[kMaxJet];
   Int_t nMuon = 0;
   Float_t Muon_pt[kMaxMuon], Muon_eta[kMaxMuon], Muon_phi[kMaxMuon], Muon_mass[kMaxMuon];
   Int_t Muon_charge[kMaxMuon];
   std::vector<float> Electron_pt, Electron_eta, Electron_phi;
   Float_t MET_pt = 0, MET_phi = 0;
   Float_t Calo_E[kCaloCells];
};

void Generate(TRandom3 &random, Long64_t index, Event &e)
{
   e.run = 355100 + UInt_t(index / 100000);
   e.luminosityBlock = 1 + UInt_t((index / 1000) % 100);
   e.event = 1000000ULL + ULong64_t(index) * 7ULL;
   e.PV_npvs = std::max(1, int(random.Poisson(32)));
   e.PV_z = Float_t(random.Gaus(0, 3.5));
   e.genWeight = (random.Rndm() < 0.03 ? -1.0 : 1.0) * 1.2548e-3 * (1.0 + random.Gaus(0, 0.02));

   double sumPx = 0, sumPy = 0;
   e.nJet = std::min(kMaxJet, int(random.Poisson(4.5)));
   for (int i = 0; i < e.nJet; ++i)
      e.Jet_pt[i] = Float_t(FallingPt(random, 20.0, 4.5));
   std::sort(e.Jet_pt, e.Jet_pt + e.nJet, std::greater<Float_t>());
   for (int i = 0; i < e.nJet; ++i) {
      e.Jet_eta[i] = Float_t(Eta(random, 2.0, 4.7));
      e.Jet_phi[i] = Float_t(random.Uniform(-TMath::Pi(), TMath::Pi()));
      e.Jet_mass[i] = Float_t(e.Jet_pt[i] * (0.04 + 0.12 * random.Rndm()));
      e.Jet_btag[i] = Float_t(std::pow(random.Rndm(), 4));
      sumPx += e.Jet_pt[i] * std::cos(e.Jet_phi[i]);
      sumPy += e.Jet_pt[i] * std::sin(e.Jet_phi[i]);
   }

   e.nMuon = std::min(kMaxMuon, int(random.Poisson(1.2)));
   for (int i = 0; i < e.nMuon; ++i)
      e.Muon_pt[i] = Float_t(FallingPt(random, 3.0, 3.2));
   std::sort(e.Muon_pt, e.Muon_pt + e.nMuon, std::greater<Float_t>());
   for (int i = 0; i < e.nMuon; ++i) {
      e.Muon_eta[i] = Float_t(Eta(random, 1.2, 2.4));
      e.Muon_phi[i] = Float_t(random.Uniform(-TMath::Pi(), TMath::Pi()));
      e.Muon_mass[i] = 0.10566f;
      e.Muon_charge[i] = random.Rndm() < 0.5 ? -1 : 1;
      sumPx += e.Muon_pt[i] * std::cos(e.Muon_phi[i]);
      sumPy += e.Muon_pt[i] * std::sin(e.Muon_phi[i]);
   }

   const int nElectron = std::min(8, int(random.Poisson(0.9)));
   e.Electron_pt.clear();
   e.Electron_eta.clear();
   e.Electron_phi.clear();
   for (int i = 0; i < nElectron; ++i) {
      e.Electron_pt.push_back(Float_t(5.0 + random.Exp(18.0)));
      e.Electron_eta.push_back(Float_t(Eta(random, 1.3, 2.5)));
      e.Electron_phi.push_back(Float_t(random.Uniform(-TMath::Pi(), TMath::Pi())));
   }
   std::sort(e.Electron_pt.begin(), e.Electron_pt.end(), std::greater<float>());

   // Missing transverse momentum balances the visible objects, smeared by a pile-up dependent resolution.
   const double resolution = 8.0 + 0.6 * std::sqrt(double(e.PV_npvs));
   const double metX = -sumPx + random.Gaus(0, resolution), metY = -sumPy + random.Gaus(0, resolution);
   e.MET_pt = Float_t(std::hypot(metX, metY));
   e.MET_phi = Float_t(std::atan2(metY, metX));

   // Calorimeter: electronic noise everywhere plus 0-3 electromagnetic showers, each spread over
   // neighbouring cells with a Gaussian profile, so that nearby cells are correlated.
   for (int c = 0; c < kCaloCells; ++c)
      e.Calo_E[c] = Float_t(random.Gaus(0.0, 0.03));
   const int showers = int(random.Poisson(1.5));
   for (int s = 0; s < std::min(showers, 3); ++s) {
      const double cx = random.Uniform(0, kCaloSide), cy = random.Uniform(0, kCaloSide);
      const double energy = 2.0 + random.Exp(40.0);
      const double width = 0.6 + 0.4 * random.Rndm();
      for (int y = 0; y < kCaloSide; ++y)
         for (int x = 0; x < kCaloSide; ++x) {
            const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            const double share = std::exp(-(dx * dx + dy * dy) / (2 * width * width)) / (2 * TMath::Pi() * width * width);
            e.Calo_E[y * kCaloSide + x] += Float_t(energy * share * (1.0 + random.Gaus(0, 0.02)));
         }
   }
}

} // namespace
} // namespace Baler::Cli

extern "C" int baler_generate_sample(const char *outPath, long long events, unsigned long long seed,
                                     BalerProgressCallback onProgress, void *user, char *error, size_t errorSize)
{
   using namespace Baler::Cli;
   return Guarded(error, errorSize, [&] {
      if (!outPath)
         throw Failure("missing output path");
      if (events < 0)
         throw Failure("the number of events must not be negative");
      // TRandom3 takes seed 0 as "seed from the clock": keep every seed deterministic.
      const UInt_t seed32 = UInt_t(seed ^ (seed >> 32));
      TRandom3 random(seed32 == 0 ? 0x9e3779b9u : seed32);

      OutputFile output(outPath, {});
      std::unique_ptr<TFile> file(TFile::Open(output.TemporaryPath().c_str(), "RECREATE", "baler synthetic sample", 505));
      if (!file || file->IsZombie())
         throw Failure("cannot create a temporary file for '" + std::string(outPath) + "'");
      auto event = std::make_unique<Event>();
      Event &e = *event;
      auto *tree = new TTree("Events", "baler synthetic sample: jets, muons, electrons, calorimeter cells");
      tree->SetDirectory(file.get());
      tree->Branch("run", &e.run, "run/i");
      tree->Branch("luminosityBlock", &e.luminosityBlock, "luminosityBlock/i");
      tree->Branch("event", &e.event, "event/l");
      tree->Branch("PV_npvs", &e.PV_npvs, "PV_npvs/I");
      tree->Branch("PV_z", &e.PV_z, "PV_z/F");
      tree->Branch("genWeight", &e.genWeight, "genWeight/D");
      tree->Branch("nJet", &e.nJet, "nJet/I");
      tree->Branch("Jet_pt", e.Jet_pt, "Jet_pt[nJet]/F");
      tree->Branch("Jet_eta", e.Jet_eta, "Jet_eta[nJet]/F");
      tree->Branch("Jet_phi", e.Jet_phi, "Jet_phi[nJet]/F");
      tree->Branch("Jet_mass", e.Jet_mass, "Jet_mass[nJet]/F");
      tree->Branch("Jet_btag", e.Jet_btag, "Jet_btag[nJet]/F");
      tree->Branch("nMuon", &e.nMuon, "nMuon/I");
      tree->Branch("Muon_pt", e.Muon_pt, "Muon_pt[nMuon]/F");
      tree->Branch("Muon_eta", e.Muon_eta, "Muon_eta[nMuon]/F");
      tree->Branch("Muon_phi", e.Muon_phi, "Muon_phi[nMuon]/F");
      tree->Branch("Muon_mass", e.Muon_mass, "Muon_mass[nMuon]/F");
      tree->Branch("Muon_charge", e.Muon_charge, "Muon_charge[nMuon]/I");
      tree->Branch("Electron_pt", &e.Electron_pt);
      tree->Branch("Electron_eta", &e.Electron_eta);
      tree->Branch("Electron_phi", &e.Electron_phi);
      tree->Branch("MET_pt", &e.MET_pt, "MET_pt/F");
      tree->Branch("MET_phi", &e.MET_phi, "MET_phi/F");
      tree->Branch("Calo_E", e.Calo_E, "Calo_E[64]/F");

      auto *meta = file->mkdir("meta", "generator parameters and a control histogram");
      auto *leadingJet = new TH1F("h_leading_Jet_pt", "leading jet p_{T};p_{T} [GeV];events", 100, 0, 500);
      leadingJet->SetDirectory(meta);

      const Long64_t step = events > 100 ? events / 100 : 1;
      if (onProgress)
         onProgress("Events", 0, events, user);
      for (Long64_t i = 0; i < events; ++i) {
         Generate(random, i, e);
         if (e.nJet > 0)
            leadingJet->Fill(e.Jet_pt[0]);
         if (tree->Fill() < 0)
            throw Failure("could not write event " + std::to_string(i));
         if (onProgress && (i + 1) % step == 0)
            onProgress("Events", i + 1, events, user);
      }
      if (onProgress)
         onProgress("Events", events, events, user);
      file->cd();
      tree->Write();
      meta->cd();
      leadingJet->Write();
      TNamed info("generator", ("baler generate --events " + std::to_string(events) + " --seed " +
                                std::to_string(seed))
                                  .c_str());
      info.Write();
      file->Close();
      if (!RootMessages::FirstError().empty())
         throw Failure(RootMessages::FirstError());
      output.Commit();
   });
}
