// Copies std::vector<std::vector<float>> branches of an ATLAS file's CollectionTree (xAOD AuxDyn
// branches: covariance matrices, sampling energies) into tree "t" of a new file, entry by entry,
// so that every basket goes through the plugin with the given codec.
//
//    nested_atlas_copy(inPath, outPath, spec, branches, basketSize = 32000)
//      `branches`: comma-separated names; `spec`: a Baler codec spec, or "zstd" for ROOT's ZSTD
//      level 5 (setting 505). Prints per branch "nested_atlas_copy NAME: ZIPBYTES VALUES BASKETS"
//      and "nested_atlas_copy: ENTRIES ZIPBYTES VALUES" for all of them.
#include "Baler/Baler.h"

#include "TBranch.h"
#include "TFile.h"
#include "TObjString.h"
#include "TTree.h"

#include <memory>
#include <string>
#include <vector>

int nested_atlas_copy(const char *inPath, const char *outPath, const char *spec, const char *branches,
                      int basketSize = 32000)
{
   using Nested = std::vector<std::vector<float>>;
   std::unique_ptr<TFile> in(TFile::Open(inPath));
   auto *input = in ? in->Get<TTree>("CollectionTree") : nullptr;
   if (!input)
      return 1;
   std::vector<std::string> names;
   std::unique_ptr<TObjArray> tokens(TString(branches).Tokenize(","));
   for (auto *token : TRangeDynCast<TObjString>(tokens.get()))
      names.push_back(token->GetString().Data());
   // Only these branches are read: the file's other classes have no dictionary here.
   input->SetBranchStatus("*", false);
   std::vector<Nested *> values(names.size(), nullptr);
   for (size_t i = 0; i < names.size(); ++i) {
      if (!input->GetBranch(names[i].c_str()))
         return 2;
      input->SetBranchStatus(names[i].c_str(), true);
      input->SetBranchAddress(names[i].c_str(), &values[i]);
   }
   input->GetEntry(0); // allocates the vectors the new branches write from

   TFile out(outPath, "RECREATE");
   TTree tree("t", "ATLAS nested vectors");
   std::vector<TBranch *> copies;
   for (size_t i = 0; i < names.size(); ++i)
      copies.push_back(tree.Branch(names[i].c_str(), &values[i], basketSize));
   if (std::string(spec) == "zstd") {
      constexpr int kZstdLevel5 = 505;
      for (auto *branch : copies)
         branch->SetCompressionSettings(kZstdLevel5);
   } else {
      Baler::SetCodec(&tree, "*", Baler::Codec::Parse(spec));
   }

   std::vector<long long> counts(names.size(), 0);
   for (Long64_t entry = 0; entry < input->GetEntries(); ++entry) {
      if (input->GetEntry(entry) <= 0)
         return 3;
      for (size_t i = 0; i < names.size(); ++i)
         for (const auto &inner : *values[i])
            counts[i] += inner.size();
      tree.Fill();
   }
   tree.Write();
   long long zip = 0, total = 0;
   for (size_t i = 0; i < names.size(); ++i) {
      printf("nested_atlas_copy %s: %lld %lld %d\n", names[i].c_str(), copies[i]->GetZipBytes(), counts[i],
             copies[i]->GetWriteBasket());
      zip += copies[i]->GetZipBytes();
      total += counts[i];
   }
   printf("nested_atlas_copy: %lld %lld %lld\n", tree.GetEntries(), zip, total);
   input->ResetBranchAddresses();
   return 0;
}
