// Reads a Baler-compressed file with plain ROOT: no include, no library to load. The file makes
// ROOT load libBalerROOT by itself (its directory must be on LD_LIBRARY_PATH: source build/env.sh).
//
//    root -l -b -q 'read_example.C("muons.root")'
#include "TFile.h"
#include "TH1F.h"
#include "TTree.h"
#include "TTreeReader.h"
#include "TTreeReaderArray.h"
#include "TTreeReaderValue.h"

#include <memory>

int read_example(const char *path = "baler_example.root")
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   if (!file || file->IsZombie())
      return 1;
   // An entry whose baskets cannot be read (libBalerROOT not found, a damaged file) reads as -1.
   // Stop there: ROOT 6.40's TTreeReaderArray builds an array over such a basket anyway, and the
   // loop below would crash on it.
   auto *tree = file->Get<TTree>("Events");
   if (!tree || tree->GetEntry(0) < 0) {
      printf("read_example: cannot read %s (is the folder of libBalerROOT on LD_LIBRARY_PATH?)\n", path);
      return 1;
   }

   // An event loop, as an analysis would write it (in its own scope: the reader lets go of the
   // tree before TTree::Draw uses it).
   Long64_t events = 0, muons = 0;
   double sumPt = 0;
   {
      TTreeReader reader("Events", file.get());
      TTreeReaderValue<Int_t> nMuon(reader, "nMuon");
      TTreeReaderArray<Float_t> muonPt(reader, "Muon_pt");
      while (reader.Next()) {
         ++events;
         for (int i = 0; i < *nMuon; ++i) {
            sumPt += muonPt[i];
            ++muons;
         }
      }
      if (reader.GetEntryStatus() != TTreeReader::kEntryBeyondEnd) {
         printf("read_example: reading stopped early (status %d)\n", reader.GetEntryStatus());
         return 1;
      }
   }

   // And the quick look a physicist takes at a branch. The histogram's mean counts only the muons
   // within its range (0-200 GeV), so it differs a little from the TTreeReader mean above, which
   // counts every muon: compression has nothing to do with that difference.
   Long64_t drawn = tree->Draw("Muon_pt>>hpt(100,0,200)", "", "goff");
   auto *histogram = static_cast<TH1F *>(gDirectory->Get("hpt"));

   printf("read_example: %lld events, %lld muons, mean muon pt %.4f GeV (TTreeReader)\n", events, muons,
          muons ? sumPt / muons : 0.);
   printf("read_example: TTree::Draw filled %lld muons, mean %.4f GeV of those within 0-200 GeV\n", drawn,
          histogram->GetMean());
   return drawn == muons ? 0 : 1;
}
