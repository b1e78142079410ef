// Writes the muons of HZZ's first `entries` events twice over the same entry numbers, Muon_*
// through the object model `spec` (an `ae:` spec), the second time with the last two neighbouring
// events of different muon counts traded, so that the first time's values of the carrier have the
// same count and nearly the same entry offsets. The members are declared before their carrier
// Muon_Px, so that each member's basket is written before the carrier's of the same entries.
// `how`:
//   "merger"       through ROOT::TBufferMerger, two Writes of one tree, as RDataFrame's
//                  multi-threaded Snapshot writes (the tree is reset after each Write);
//   "directories"  as the trees a/events and b/events of one file;
//   "reset"        as one tree written, Reset, filled again and written again (events;2).
// Prints "objects_written_again: ENTRIES" and returns 0, or 1 for an unknown `how`.
#include "Baler/Baler.h"
#include "ROOT/TBufferMerger.hxx"
#include "TFile.h"
#include "TTree.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Muons {
   Int_t n = 0;
   Float_t e[50], iso[50], pz[50], py[50], px[50];
};

std::vector<Muons> ReadMuons(const char *path, int entries)
{
   std::unique_ptr<TFile> in(TFile::Open(path));
   auto *tree = in->Get<TTree>("events");
   Muons row;
   tree->SetBranchStatus("*", 0);
   for (const char *name : {"NMuon", "Muon_E", "Muon_Iso", "Muon_Pz", "Muon_Py", "Muon_Px"})
      tree->SetBranchStatus(name, 1);
   tree->SetBranchAddress("NMuon", &row.n);
   tree->SetBranchAddress("Muon_E", row.e);
   tree->SetBranchAddress("Muon_Iso", row.iso);
   tree->SetBranchAddress("Muon_Pz", row.pz);
   tree->SetBranchAddress("Muon_Py", row.py);
   tree->SetBranchAddress("Muon_Px", row.px);
   std::vector<Muons> rows;
   for (Long64_t entry = 0; entry < entries; ++entry) {
      tree->GetEntry(entry);
      rows.push_back(row);
   }
   return rows;
}

void MakeBranches(TTree &tree, Muons &row, const char *spec)
{
   tree.Branch("NMuon", &row.n, "NMuon/I");
   tree.Branch("Muon_E", row.e, "Muon_E[NMuon]/F");
   tree.Branch("Muon_Iso", row.iso, "Muon_Iso[NMuon]/F");
   tree.Branch("Muon_Pz", row.pz, "Muon_Pz[NMuon]/F");
   tree.Branch("Muon_Py", row.py, "Muon_Py[NMuon]/F");
   tree.Branch("Muon_Px", row.px, "Muon_Px[NMuon]/F");
   Baler::SetCodec(&tree, "Muon_*", Baler::Codec::Parse(spec));
}

void Fill(TTree &tree, Muons &row, const std::vector<Muons> &rows, bool traded)
{
   std::size_t j = rows.size() - 2;
   while (j > 0 && rows[j].n == rows[j + 1].n)
      --j;
   for (std::size_t i = 0; i < rows.size(); ++i) {
      row = rows[traded && i == j ? j + 1 : traded && i == j + 1 ? j : i];
      tree.Fill();
   }
}

} // namespace

int objects_written_again(const char *hzzPath, const char *outPath, const char *spec, const char *how, int entries)
{
   const std::vector<Muons> rows = ReadMuons(hzzPath, entries);
   Muons row;
   const std::string mode = how;
   if (mode == "merger") {
      ROOT::TBufferMerger merger(outPath, "RECREATE", 505);
      auto file = merger.GetFile();
      file->cd();
      TTree tree("events", "muons, members before their carrier");
      MakeBranches(tree, row, spec);
      Fill(tree, row, rows, false);
      file->Write();
      Fill(tree, row, rows, true);
      file->Write();
   } else if (mode == "directories") {
      TFile file(outPath, "RECREATE", "", 505);
      for (const char *directory : {"a", "b"}) {
         file.mkdir(directory)->cd();
         TTree tree("events", "muons, members before their carrier");
         MakeBranches(tree, row, spec);
         Fill(tree, row, rows, std::string(directory) == "b");
         tree.Write();
      }
   } else if (mode == "reset") {
      TFile file(outPath, "RECREATE", "", 505);
      TTree tree("events", "muons, members before their carrier");
      MakeBranches(tree, row, spec);
      Fill(tree, row, rows, false);
      tree.Write();
      tree.Reset();
      Fill(tree, row, rows, true);
      tree.Write();
   } else {
      return 1;
   }
   std::printf("objects_written_again: %zu\n", rows.size());
   return 0;
}
