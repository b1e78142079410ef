// baler_generate_sample (CommandApi.h): synthetic samples, deterministic for a seed, written with
// ZSTD-505 as plain ROOT files (the input of `baler compress`, `baler train`, the benchmarks).
//
// "physics" (the default): tree "Events" with jets and muons as jagged leaf arrays (nJet,
// Jet_pt[nJet]/F ...), electrons as std::vector<float>, event scalars, and an 8x8 calorimeter cell
// array Calo_E[64]/F whose neighbouring cells are correlated (showers spread over several cells).
// Directory "meta" holds a histogram and a TNamed with the generator's parameters, so that copies
// of non-tree objects are exercised too.
//
// "detector": tree "Events" with detector-like vector data of fixed width, the rows the `ae:` codec
// is for: an electromagnetic shower as 16 longitudinal layers x 16 lateral strips of cell energies
// (CaloShower_E[256]/F) and a shaped, digitised pulse of 32 samples (Pulse_adc[32]/F), each with
// Gaussian noise of a known sigma (stored in "meta" as well). docs/generated-data.md describes the
// models and their parameters.
#include "CommandCommon.h"

#include "TDirectory.h"
#include "TFile.h"
#include "TH1F.h"
#include "TMath.h"
#include "TNamed.h"
#include "TObject.h"
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


// --- The detector sample (docs/generated-data.md holds the same parameters with their reasons) ---

constexpr int kLayers = 16;
constexpr int kStrips = 16;
constexpr int kShowerCells = kLayers * kStrips;
constexpr int kPulseSamples = 32;

/// Electromagnetic showers of electrons in a calorimeter of 16 layers of 1.5 X0 (24 X0 deep) and
/// 16 strips of 0.5 Moliere radii (8 R_M wide); each cell holds the energy of one layer in one
/// strip, summed over the other lateral direction. Energies in GeV.
namespace Shower {
constexpr double kMinEnergy = 1.0, kMaxEnergy = 1000.0; // incident energy, log-uniform
constexpr double kCriticalEnergy = 0.010;               // E_c: depth of the maximum ln(E/E_c) - 0.5 X0
constexpr double kDepthSpread = 0.10;                   // relative Gaussian spread of that depth
constexpr double kB = 0.5;                              // slope b of the Gamma longitudinal profile
constexpr double kLayerDepth = 1.5;                     // X0 per layer
constexpr double kStripWidth = 0.5;                     // R_M per strip
constexpr double kX0InMoliere = 0.45;                   // X0 / R_M (lead tungstate: 0.89 cm / 2.0 cm)
constexpr double kMaxSlope = 0.1;                       // tan of the incidence angle, uniform in +-
constexpr double kStochastic = 0.10;                    // cell fluctuation sigma = 0.10 sqrt(E_cell / GeV) GeV
constexpr double kNoiseSigma = 0.020;                   // cell noise sigma, GeV
} // namespace Shower

/// Pulses of a CR-RC^4 shaper sampled every 25 ns by a 12-bit ADC, in ADC counts (not rounded to
/// integers: the noise is the resolution).
namespace Pulse {
constexpr double kSamplePeriod = 25.0;                    // ns
constexpr int kShapingOrder = 4;                          // n of CR-RC^n
constexpr double kPeakingTime = 75.0;                     // ns from the start of the pulse to its peak
constexpr double kMinAmplitude = 10.0, kMaxAmplitude = 4000.0; // peak above pedestal, log-uniform
constexpr double kMinStart = 100.0, kMaxStart = 200.0;    // start of the pulse, ns, uniform
constexpr double kPedestal = 200.0, kPedestalSpread = 5.0; // per-entry pedestal: Gaussian
constexpr double kNoiseSigma = 2.0;                       // white noise sigma per sample, ADC counts
} // namespace Pulse

struct DetectorEvent {
   Float_t CaloShower_E[kShowerCells];
   Float_t CaloShower_trueE = 0;
   Float_t Pulse_adc[kPulseSamples];
   Float_t Pulse_trueAmplitude = 0, Pulse_trueTime = 0, Pulse_truePedestal = 0;
};

double LogUniform(TRandom3 &random, double low, double high)
{
   return low * std::pow(high / low, random.Rndm());
}

/// Fraction of a Gaussian of mean `mean` and width `sigma` inside [low, high).
double GaussianShare(double low, double high, double mean, double sigma)
{
   const double scale = 1.0 / (sigma * std::sqrt(2.0));
   return 0.5 * (std::erfc((low - mean) * scale) - std::erfc((high - mean) * scale));
}

void GenerateShower(TRandom3 &random, DetectorEvent &e)
{
   using namespace Shower;
   const double energy = LogUniform(random, kMinEnergy, kMaxEnergy);
   e.CaloShower_trueE = Float_t(energy);
   // Longitudinal: dE/dt = E b (bt)^(a-1) e^(-bt) / Gamma(a), maximum at T = (a-1)/b (PDG, Longo).
   const double depth = std::max(1.0, (std::log(energy / kCriticalEnergy) - 0.5) * (1.0 + random.Gaus(0, kDepthSpread)));
   const double a = 1.0 + kB * depth;
   // Lateral: impact point within the two central strips, a small incidence angle.
   const double impact = random.Uniform(-kStripWidth / 2, kStripWidth / 2);
   const double slope = random.Uniform(-kMaxSlope, kMaxSlope) * kX0InMoliere;
   for (int layer = 0; layer < kLayers; ++layer) {
      const double front = layer * kLayerDepth, back = front + kLayerDepth;
      const double layerShare = TMath::Gamma(a, kB * back) - TMath::Gamma(a, kB * front);
      const double middle = 0.5 * (front + back), tau = middle / depth;
      const double centre = impact + slope * middle;
      // A narrow core and a wide halo, both widening with depth; the halo grows with age.
      const double core = 0.10 + 0.08 * tau, halo = 0.6 + 0.4 * tau;
      const double coreShare = std::max(0.5, 0.9 - 0.2 * tau);
      for (int strip = 0; strip < kStrips; ++strip) {
         const double low = (strip - kStrips / 2) * kStripWidth, high = low + kStripWidth;
         const double share = coreShare * GaussianShare(low, high, centre, core) +
                              (1.0 - coreShare) * GaussianShare(low, high, centre, halo);
         const double mean = energy * layerShare * share;
         e.CaloShower_E[layer * kStrips + strip] =
            Float_t(mean + random.Gaus(0, kStochastic * std::sqrt(mean)) + random.Gaus(0, kNoiseSigma));
      }
   }
}

void GeneratePulse(TRandom3 &random, DetectorEvent &e)
{
   using namespace Pulse;
   const double amplitude = LogUniform(random, kMinAmplitude, kMaxAmplitude);
   const double start = random.Uniform(kMinStart, kMaxStart);
   const double pedestal = random.Gaus(kPedestal, kPedestalSpread);
   e.Pulse_trueAmplitude = Float_t(amplitude);
   e.Pulse_trueTime = Float_t(start + kPeakingTime);
   e.Pulse_truePedestal = Float_t(pedestal);
   for (int k = 0; k < kPulseSamples; ++k) {
      // CR-RC^n: A x^n e^(n(1-x)), x = (t - start) / peaking time, peak A at x = 1.
      const double x = (k * kSamplePeriod - start) / kPeakingTime;
      const double shape = x > 0 ? std::pow(x, kShapingOrder) * std::exp(kShapingOrder * (1.0 - x)) : 0.0;
      e.Pulse_adc[k] = Float_t(pedestal + amplitude * shape + random.Gaus(0, kNoiseSigma));
   }
}

/// What the two samples differ in: the tree's branches, how an entry is made, and the objects
/// of directory "meta".
struct SampleKind {
   const char *treeTitle;
   std::function<void(TTree &)> declareBranches;
   std::function<void(Long64_t)> fillEntry;
   /// Objects for "meta", written after the tree (the sample keeps ownership).
   std::function<std::vector<TObject *>()> metaObjects;
};

/// Writes the sample: tree "Events" of `events` entries and directory "meta" (the objects of
/// `kind`, and a TNamed "generator" whose title is `command`), under a temporary name renamed
/// to `outPath` on success.
void WriteSample(const char *outPath, Long64_t events, const std::string &command, const SampleKind &kind,
                 BalerProgressCallback onProgress, void *user)
{
   OutputFile output(outPath, {});
   std::unique_ptr<TFile> file(output.Create("baler synthetic sample", 505));
   if (!file || file->IsZombie())
      throw Failure("cannot create a temporary file for '" + std::string(outPath) + "'");
   auto *tree = new TTree("Events", kind.treeTitle);
   tree->SetDirectory(file.get());
   kind.declareBranches(*tree);
   auto *meta = file->mkdir("meta", "generator parameters");

   const Long64_t step = events > 100 ? events / 100 : 1;
   if (onProgress)
      onProgress("Events", 0, events, user);
   for (Long64_t i = 0; i < events; ++i) {
      kind.fillEntry(i);
      if (tree->Fill() < 0)
         throw Failure("could not write event " + std::to_string(i));
      if (onProgress && (i + 1) % step == 0)
         onProgress("Events", i + 1, events, user);
   }
   if (onProgress)
      onProgress("Events", events, events, user);
   file->cd();
   // Overwrite: the header TTree::AutoSave wrote during the fill is replaced, not kept as a lower
   // cycle that `baler compress` would then warn about.
   tree->Write("", TObject::kOverwrite);
   meta->cd();
   for (TObject *object : kind.metaObjects())
      object->Write();
   TNamed info("generator", command.c_str());
   info.Write();
   file->Close();
   if (!RootMessages::FirstError().empty())
      throw Failure(RootMessages::FirstError());
   output.Commit();
}

void WritePhysicsSample(const char *outPath, Long64_t events, unsigned long long seed, TRandom3 &random,
                        BalerProgressCallback onProgress, void *user)
{
   auto event = std::make_unique<Event>();
   Event &e = *event;
   TH1F leadingJet("h_leading_Jet_pt", "leading jet p_{T};p_{T} [GeV];events", 100, 0, 500);
   leadingJet.SetDirectory(nullptr);
   SampleKind kind{
      "baler synthetic sample: jets, muons, electrons, calorimeter cells",
      [&](TTree &tree) {
         tree.Branch("run", &e.run, "run/i");
         tree.Branch("luminosityBlock", &e.luminosityBlock, "luminosityBlock/i");
         tree.Branch("event", &e.event, "event/l");
         tree.Branch("PV_npvs", &e.PV_npvs, "PV_npvs/I");
         tree.Branch("PV_z", &e.PV_z, "PV_z/F");
         tree.Branch("genWeight", &e.genWeight, "genWeight/D");
         tree.Branch("nJet", &e.nJet, "nJet/I");
         tree.Branch("Jet_pt", e.Jet_pt, "Jet_pt[nJet]/F");
         tree.Branch("Jet_eta", e.Jet_eta, "Jet_eta[nJet]/F");
         tree.Branch("Jet_phi", e.Jet_phi, "Jet_phi[nJet]/F");
         tree.Branch("Jet_mass", e.Jet_mass, "Jet_mass[nJet]/F");
         tree.Branch("Jet_btag", e.Jet_btag, "Jet_btag[nJet]/F");
         tree.Branch("nMuon", &e.nMuon, "nMuon/I");
         tree.Branch("Muon_pt", e.Muon_pt, "Muon_pt[nMuon]/F");
         tree.Branch("Muon_eta", e.Muon_eta, "Muon_eta[nMuon]/F");
         tree.Branch("Muon_phi", e.Muon_phi, "Muon_phi[nMuon]/F");
         tree.Branch("Muon_mass", e.Muon_mass, "Muon_mass[nMuon]/F");
         tree.Branch("Muon_charge", e.Muon_charge, "Muon_charge[nMuon]/I");
         tree.Branch("Electron_pt", &e.Electron_pt);
         tree.Branch("Electron_eta", &e.Electron_eta);
         tree.Branch("Electron_phi", &e.Electron_phi);
         tree.Branch("MET_pt", &e.MET_pt, "MET_pt/F");
         tree.Branch("MET_phi", &e.MET_phi, "MET_phi/F");
         tree.Branch("Calo_E", e.Calo_E, "Calo_E[64]/F");
      },
      [&](Long64_t i) {
         Generate(random, i, e);
         if (e.nJet > 0)
            leadingJet.Fill(e.Jet_pt[0]);
      },
      [&] { return std::vector<TObject *>{&leadingJet}; },
   };
   WriteSample(outPath, events,
               "baler generate --events " + std::to_string(events) + " --seed " + std::to_string(seed), kind,
               onProgress, user);
}

void WriteDetectorSample(const char *outPath, Long64_t events, unsigned long long seed, TRandom3 &random,
                         BalerProgressCallback onProgress, void *user)
{
   auto event = std::make_unique<DetectorEvent>();
   DetectorEvent &e = *event;
   // The noise sigmas and the cells' stochastic term, for programs that set a bound from them or
   // estimate what no model can predict (bench/vector_codecs.py).
   TNamed showerNoise("CaloShower_E_noise_sigma", std::to_string(Shower::kNoiseSigma).c_str());
   TNamed showerStochastic("CaloShower_E_stochastic_term", std::to_string(Shower::kStochastic).c_str());
   TNamed pulseNoise("Pulse_adc_noise_sigma", std::to_string(Pulse::kNoiseSigma).c_str());
   SampleKind kind{
      "baler synthetic detector sample: calorimeter showers (16 layers x 16 strips), digitised pulses (32 samples)",
      [&](TTree &tree) {
         tree.Branch("CaloShower_E", e.CaloShower_E, "CaloShower_E[256]/F");
         tree.Branch("CaloShower_trueE", &e.CaloShower_trueE, "CaloShower_trueE/F");
         tree.Branch("Pulse_adc", e.Pulse_adc, "Pulse_adc[32]/F");
         tree.Branch("Pulse_trueAmplitude", &e.Pulse_trueAmplitude, "Pulse_trueAmplitude/F");
         tree.Branch("Pulse_trueTime", &e.Pulse_trueTime, "Pulse_trueTime/F");
         tree.Branch("Pulse_truePedestal", &e.Pulse_truePedestal, "Pulse_truePedestal/F");
      },
      [&](Long64_t) {
         GenerateShower(random, e);
         GeneratePulse(random, e);
      },
      [&] { return std::vector<TObject *>{&showerNoise, &showerStochastic, &pulseNoise}; },
   };
   WriteSample(outPath, events,
               "baler generate --sample detector --events " + std::to_string(events) + " --seed " +
                  std::to_string(seed),
               kind, onProgress, user);
}

} // namespace
} // namespace Baler::Cli

extern "C" int baler_generate_sample(const char *outPath, const char *sample, long long events,
                                     unsigned long long seed, BalerProgressCallback onProgress, void *user,
                                     char *error, size_t errorSize)
{
   using namespace Baler::Cli;
   return Guarded(error, errorSize, [&] {
      if (!outPath)
         throw Failure("missing output path");
      if (events < 0)
         throw Failure("the number of events must not be negative");
      const std::string kind = sample ? sample : "physics";
      if (kind != "physics" && kind != "detector")
         throw Failure("unknown sample '" + kind + "' (physics or detector)");
      // TRandom3 takes seed 0 as "seed from the clock": keep every seed deterministic.
      const UInt_t seed32 = UInt_t(seed ^ (seed >> 32));
      TRandom3 random(seed32 == 0 ? 0x9e3779b9u : seed32);
      if (kind == "physics")
         WritePhysicsSample(outPath, events, seed, random, onProgress, user);
      else
         WriteDetectorSample(outPath, events, seed, random, onProgress, user);
   });
}
