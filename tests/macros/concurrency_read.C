// Reads one Baler file in three concurrent ways and prints the sum of all float values for each:
// "concurrency_read: PLAIN IMT_CACHE THREADS". Equal sums mean every basket decoded the same.
#include "TFile.h"
#include "TLeaf.h"
#include "TROOT.h"
#include "TTree.h"

#include <memory>
#include <thread>
#include <vector>

namespace {

/// Sum over entries [first, last) of every float leaf, read entry by entry.
double SumFloats(const char *path, Long64_t first, Long64_t last, Long64_t cacheSize)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file->Get<TTree>("Events");
   if (cacheSize > 0) {
      tree->SetCacheSize(cacheSize);
      tree->AddBranchToCache("*", true);
   }
   if (last < 0)
      last = tree->GetEntries();
   double sum = 0;
   for (Long64_t entry = first; entry < last; ++entry) {
      if (tree->GetEntry(entry) <= 0)
         return -1e300; // a failed read must show up in the sums
      for (auto *leaf : TRangeDynCast<TLeaf>(tree->GetListOfLeaves()))
         if (TString(leaf->GetTypeName()) == "Float_t")
            for (int i = 0; i < leaf->GetLen(); ++i)
               sum += leaf->GetValue(i);
   }
   return sum;
}

} // namespace

int concurrency_read(const char *path)
{
   const double plain = SumFloats(path, 0, -1, 0);

   ROOT::EnableImplicitMT(2); // GetEntry decompresses branches in parallel; TTreeCache prefetches
   const double imtWithCache = SumFloats(path, 0, -1, 10 * 1024 * 1024);
   ROOT::DisableImplicitMT();

   ROOT::EnableThreadSafety();
   Long64_t entries;
   {
      std::unique_ptr<TFile> file(TFile::Open(path));
      entries = file->Get<TTree>("Events")->GetEntries();
   }
   const int kThreads = 4;
   std::vector<double> partial(kThreads);
   std::vector<std::thread> threads;
   for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
         partial[t] = SumFloats(path, entries * t / kThreads, entries * (t + 1) / kThreads, 0);
      });
   for (auto &thread : threads)
      thread.join();
   double threaded = 0;
   for (double p : partial)
      threaded += p;
   printf("concurrency_read: %.10e %.10e %.10e\n", plain, imtWithCache, threaded);
   return 0;
}
