// Fills a tree with the muons of HZZ's first `entries` events (objects_written_again.C's, the
// carriers first, Muon_* through the object model `spec`), flushed every `flush` entries, and
// draws Muon_E over the first `drawn` entries before the tree is written: the last basket written
// is followed by one still in memory. Prints "objects_read_while_written: VALUES DRAWN" (the Muon_E
// values of those entries, and what TTree::Draw returned) and returns 0.
#include "objects_written_again.C"

int objects_read_while_written(const char *hzzPath, const char *outPath, const char *spec, int entries, int flush,
                               int drawn)
{
   const std::vector<Muons> rows = ReadMuons(hzzPath, entries);
   Muons row;
   TFile file(outPath, "RECREATE", "", 505);
   TTree tree("events", "muons");
   MakeBranches(tree, row, spec, false);
   tree.SetAutoFlush(flush);
   Long64_t values = 0;
   for (int entry = 0; entry < entries; ++entry) {
      row = rows[entry];
      values += entry < drawn ? row.n : 0;
      tree.Fill();
   }
   std::printf("objects_read_while_written: %lld %lld\n", values, tree.Draw("Muon_E", "", "goff", drawn));
   tree.Write();
   return 0;
}
