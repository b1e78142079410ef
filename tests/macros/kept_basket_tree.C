// Writes tree "t" whose baskets all stay in its key: a float x/F and a jagged v[n]/F with baskets
// of 4 MiB, `entries` entries (under 4 MiB each), and the tree written by TDirectory::WriteTObject,
// which, unlike TTree::Write, does not flush them first (as old ROOT and uproot-issue79.root did).
// With `autoFlush` > 0, every `autoFlush` entries go into baskets on file, and only the last stay;
// with `flushedBranch`, a float w/F of 1 kB baskets goes on file as they fill, the others staying.
#include "TFile.h"
#include "TRandom3.h"
#include "TTree.h"

int kept_basket_tree(const char *path, int entries, int autoFlush = 0, bool flushedBranch = false)
{
   TFile file(path, "RECREATE", "", 101);
   TTree tree("t", "baskets kept in the tree's key");
   Float_t x = 0, v[4] = {}, w = 0;
   Int_t n = 0;
   tree.Branch("x", &x, "x/F");
   tree.Branch("n", &n, "n/I");
   tree.Branch("v", v, "v[n]/F");
   for (auto *branch : *tree.GetListOfBranches())
      static_cast<TBranch *>(branch)->SetBasketSize(4 << 20);
   if (autoFlush > 0)
      tree.SetAutoFlush(autoFlush);
   if (flushedBranch)
      tree.Branch("w", &w, "w/F")->SetBasketSize(1024);
   TRandom3 random(1);
   for (int i = 0; i < entries; ++i) {
      x = random.Gaus(0, 10);
      w = random.Gaus(5, 1);
      n = i % 5;
      for (int j = 0; j < n; ++j)
         v[j] = random.Exp(20);
      tree.Fill();
   }
   return file.WriteTObject(&tree) > 0 ? 0 : 1;
}
