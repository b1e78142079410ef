// Writes `path` with one entry of 5 * 2^20 Int_t in branch v[n]/I (a 20 MiB basket, which ROOT
// compresses as two blocks) under Baler::kLossless, then prints the magic of every compression
// block of each of v's baskets: "blocks v BASKET: ZS ZS". The first 4 * 2^20 values repeat a
// random period (ZSTD's kind of data), the rest count up (Baler's), so the two blocks would pick
// different coders if each block chose on its own. Also prints "values_equal 1" when the values
// read back equal those written.
#include "Baler/Baler.h"

#include "TBranch.h"
#include "TFile.h"
#include "TTree.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {
constexpr int kValues = 5 << 20;

std::vector<Int_t> Values()
{
   std::vector<Int_t> values(kValues);
   unsigned state = 12345;
   std::vector<Int_t> period(1000);
   for (auto &p : period)
      p = static_cast<Int_t>(state = state * 1103515245u + 12345u);
   for (int i = 0; i < kValues; ++i)
      values[i] = i < (4 << 20) ? period[i % period.size()] : i;
   return values;
}
} // namespace

int cli_block_kinds(const char *path)
{
   const std::vector<Int_t> values = Values();
   {
      TFile file(path, "RECREATE");
      file.SetCompressionSettings(Baler::kLossless);
      TTree tree("t", "one 20 MiB basket of integers");
      tree.SetAutoFlush(0);
      Int_t n = kValues;
      std::vector<Int_t> v(values);
      tree.Branch("n", &n, "n/I");
      tree.Branch("v", v.data(), "v[n]/I", 32000);
      tree.Fill();
      tree.Write();
   }
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file->Get<TTree>("t");
   TBranch *branch = tree->GetBranch("v");
   for (int i = 0; i < branch->GetWriteBasket(); ++i) {
      const Long64_t seek = branch->GetBasketSeek(i);
      const Int_t nbytes = branch->GetBasketBytes()[i];
      std::vector<unsigned char> record(nbytes);
      if (seek == 0 || file->ReadBuffer(reinterpret_cast<char *>(record.data()), seek, nbytes))
         return 1;
      const int keylen = (record[14] << 8) | record[15]; // TKey: Nbytes(4) Version(2) ObjLen(4) Datime(4) KeyLen(2)
      std::string kinds;
      for (std::size_t at = keylen; at + 9 <= record.size();) {
         kinds += " " + std::string(reinterpret_cast<const char *>(&record[at]), 2);
         at += 9 + (record[at + 3] | (record[at + 4] << 8) | (record[at + 5] << 16));
      }
      printf("blocks v %d:%s\n", i, kinds.c_str());
   }
   std::vector<Int_t> read(kValues);
   Int_t n = 0;
   tree->SetBranchAddress("n", &n);
   tree->SetBranchAddress("v", read.data());
   tree->GetEntry(0);
   printf("values_equal %d\n", n == kValues && read == values ? 1 : 0);
   return 0;
}
