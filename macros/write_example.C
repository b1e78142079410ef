// An analysis-style writer: a TTree of muon kinematics, stored with Baler.
// Compared to a plain ROOT writer, it adds the include and one line (SetCompressionSettings).
//
//    root -l -b -q 'write_example.C("muons.root", 20000)'
#include "Baler/Baler.h"

#include "TFile.h"
#include "TMath.h"
#include "TRandom3.h"
#include "TTree.h"

void write_example(const char *path = "baler_example.root", int nEvents = 20000)
{
   TFile file(path, "RECREATE");
   file.SetCompressionSettings(Baler::kLossless); // the one line that selects Baler

   const int kMaxMuons = 16;
   Int_t event = 0, nMuon = 0;
   Float_t muonPt[kMaxMuons], muonEta[kMaxMuons], muonPhi[kMaxMuons], met = 0;

   TTree tree("Events", "muon kinematics");
   tree.Branch("event", &event, "event/I");
   tree.Branch("nMuon", &nMuon, "nMuon/I");
   tree.Branch("Muon_pt", muonPt, "Muon_pt[nMuon]/F");
   tree.Branch("Muon_eta", muonEta, "Muon_eta[nMuon]/F");
   tree.Branch("Muon_phi", muonPhi, "Muon_phi[nMuon]/F");
   tree.Branch("MET", &met, "MET/F");

   TRandom3 random(2012);
   for (event = 0; event < nEvents; ++event) {
      nMuon = random.Poisson(2.3);
      if (nMuon > kMaxMuons)
         nMuon = kMaxMuons;
      for (int i = 0; i < nMuon; ++i) {
         muonPt[i] = 5 + random.Exp(20);
         muonEta[i] = random.Gaus(0, 1.4);
         muonPhi[i] = random.Uniform(-TMath::Pi(), TMath::Pi());
      }
      met = random.Exp(30);
      tree.Fill();
   }
   tree.Write();
   printf("write_example: wrote %lld events to %s (%lld bytes on disk, %lld uncompressed)\n", tree.GetEntries(),
          path, tree.GetZipBytes(), tree.GetTotBytes());
}
