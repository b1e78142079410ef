// Reads one file's tree "Events" in three concurrent ways and compares every float value, entry
// by entry and in order, with a plain single-threaded read:
//    IMT with `threads` threads, a TTreeCache and parallel unzipping (TTreeCacheUnzip);
//    `threads` std::threads, each reading its own slice of entries from its own TFile.
// Prints "concurrency_read: VALUES IMT_MISMATCHES THREAD_MISMATCHES UNZIPPED" where UNZIPPED is the
// number of baskets TTreeCacheUnzip decompressed ahead of the reader.
#include "TFile.h"
#include "TLeaf.h"
#include "TROOT.h"
#include "TTree.h"
#include "TTreeCacheUnzip.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace {

/// Every float value of entries [first, last), entry by entry; `unzipped` gets the baskets the
/// unzip cache decompressed (when parallel unzip is on).
std::vector<float> ReadFloats(const char *path, Long64_t first, Long64_t last, bool parallelUnzip,
                              long long *unzipped = nullptr)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file->Get<TTree>("Events");
   if (parallelUnzip) {
      TTreeCacheUnzip::SetParallelUnzip(TTreeCacheUnzip::kEnable);
      tree->SetCacheSize(4 * 1024 * 1024);
      tree->AddBranchToCache("*", true);
   }
   if (last < 0)
      last = tree->GetEntries();
   std::vector<float> values;
   for (Long64_t entry = first; entry < last; ++entry) {
      if (tree->GetEntry(entry) <= 0)
         return {};
      for (auto *leaf : TRangeDynCast<TLeaf>(tree->GetListOfLeaves()))
         if (TString(leaf->GetTypeName()) == "Float_t")
            for (int i = 0; i < leaf->GetLen(); ++i)
               values.push_back(static_cast<float *>(leaf->GetValuePointer())[i]);
   }
   if (unzipped) {
      auto *cache = dynamic_cast<TTreeCacheUnzip *>(tree->GetReadCache(file.get()));
      *unzipped = cache ? cache->GetNUnzip() : -1;
   }
   return values;
}

/// Positions at which two value sequences differ bit for bit (a length difference counts fully).
long long Mismatches(const std::vector<float> &a, const std::vector<float> &b)
{
   if (a.size() != b.size())
      return std::max(a.size(), b.size());
   long long count = 0;
   for (size_t i = 0; i < a.size(); ++i)
      count += std::memcmp(&a[i], &b[i], sizeof(float)) != 0;
   return count;
}

} // namespace

int concurrency_read(const char *path, int threads)
{
   const std::vector<float> plain = ReadFloats(path, 0, -1, false);

   ROOT::EnableImplicitMT(threads); // GetEntry decompresses branches in parallel
   long long unzipped = 0;
   const std::vector<float> imt = ReadFloats(path, 0, -1, true, &unzipped);
   ROOT::DisableImplicitMT();

   ROOT::EnableThreadSafety();
   Long64_t entries;
   {
      std::unique_ptr<TFile> file(TFile::Open(path));
      entries = file->Get<TTree>("Events")->GetEntries();
   }
   std::vector<std::vector<float>> slices(threads);
   std::vector<std::thread> readers;
   for (int t = 0; t < threads; ++t)
      readers.emplace_back([&, t] {
         slices[t] = ReadFloats(path, entries * t / threads, entries * (t + 1) / threads, false);
      });
   for (auto &reader : readers)
      reader.join();
   std::vector<float> threaded;
   for (auto &slice : slices)
      threaded.insert(threaded.end(), slice.begin(), slice.end());
   printf("concurrency_read: %zu %lld %lld %lld\n", plain.size(), Mismatches(plain, imt), Mismatches(plain, threaded),
          unzipped);
   return 0;
}
