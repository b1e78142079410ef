// Writes the muons of HZZ's first `entries` events twice over the same entry numbers, Muon_*
// through the object model `spec` (an `ae:` spec), the second time with the last two neighbouring
// events of different muon counts traded, so that the first time's values of the carrier have the
// same count and nearly the same entry offsets. Except for "cycles", the branches are declared in
// the reverse of HZZ's order, members before their carriers, so that each member's basket is
// written before the carriers' of the same entries. `how`:
//   "merger"       through ROOT::TBufferMerger, two Writes of one tree, as RDataFrame's
//                  multi-threaded Snapshot writes (the tree is reset after each Write);
//   "directories"  as the trees a/events and b/events of one file;
//   "twins"        as two trees named events alive at once in one directory, filled in turn and
//                  written as events;1 and events;2, the second's carriers of other values; the
//                  first's Muon_Iso and Muon_E keep larger baskets than its carriers, so that the
//                  second's members write their baskets of entries for which only the first's
//                  carriers have written one;
//   "reset"        as one tree written, Reset, filled again and written again (events;2);
//   "cycles"       the same in HZZ's order, the carriers first, so that both cycles' members are
//                  coded with their carriers' values;
//   "overwrite"    in HZZ's order into `outPath` opened in UPDATE mode, in place of the tree it
//                  holds (kOverwrite: the same cycle), the traded events where it holds one.
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

/// The muon branches in HZZ's order (the carriers Muon_Px, Py, Pz first), or in the reverse.
void MakeBranches(TTree &tree, Muons &row, const char *spec, bool membersFirst)
{
   tree.Branch("NMuon", &row.n, "NMuon/I");
   const std::vector<std::pair<const char *, Float_t *>> members = {
      {"Muon_Px", row.px}, {"Muon_Py", row.py}, {"Muon_Pz", row.pz}, {"Muon_E", row.e}, {"Muon_Iso", row.iso}};
   for (std::size_t i = 0; i < members.size(); ++i) {
      const auto &[name, values] = members[membersFirst ? members.size() - 1 - i : i];
      tree.Branch(name, values, (std::string(name) + "[NMuon]/F").c_str());
   }
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
      MakeBranches(tree, row, spec, true);
      Fill(tree, row, rows, false);
      file->Write();
      Fill(tree, row, rows, true);
      file->Write();
   } else if (mode == "directories") {
      TFile file(outPath, "RECREATE", "", 505);
      for (const char *directory : {"a", "b"}) {
         file.mkdir(directory)->cd();
         TTree tree("events", "muons, members before their carrier");
         MakeBranches(tree, row, spec, true);
         Fill(tree, row, rows, std::string(directory) == "b");
         tree.Write();
      }
   } else if (mode == "reset" || mode == "cycles") {
      TFile file(outPath, "RECREATE", "", 505);
      TTree tree("events", "muons");
      MakeBranches(tree, row, spec, mode == "reset");
      Fill(tree, row, rows, false);
      tree.Write();
      tree.Reset();
      Fill(tree, row, rows, true);
      tree.Write();
   } else if (mode == "overwrite") {
      TFile file(outPath, "UPDATE");
      const bool holdsOne = file.Get<TTree>("events") != nullptr;
      TTree tree("events", "muons");
      MakeBranches(tree, row, spec, false);
      Fill(tree, row, rows, holdsOne);
      tree.Write("", TObject::kOverwrite);
   } else if (mode == "twins") {
      TFile file(outPath, "RECREATE", "", 505);
      TTree first("events", "muons"), second("events", "muons of other values");
      Muons other;
      MakeBranches(first, row, spec, true);
      MakeBranches(second, other, spec, true);
      for (TTree *tree : {&first, &second})
         tree->SetBasketSize("*", 2000);
      first.SetBasketSize("Muon_Iso", 8000);
      first.SetBasketSize("Muon_E", 8000);
      for (const Muons &muons : rows) {
         row = muons;
         first.Fill();
         other = muons;
         for (int i = 0; i < other.n; ++i) {
            other.px[i] *= 1.5f;
            other.py[i] *= 0.5f;
            other.pz[i] += 3.f;
         }
         second.Fill();
      }
      first.Write();
      second.Write();
   } else {
      return 1;
   }
   std::printf("objects_written_again: %zu\n", rows.size());
   return 0;
}
