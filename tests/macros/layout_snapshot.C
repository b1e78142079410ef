// RDataFrame Snapshot of a tree with Baler, and a value-by-value comparison of the columns
// that Snapshot writes as ROOT::RVec (tests/test_layouts.py).
//
//    layout_snapshot(in, out, tree, setting)  Snapshot of every column of `tree` into `out`
//      with compression setting `setting` (e.g. 4210 = Baler bits:10, 505 = ZSTD).
//    layout_snapshot(ref, test, tree, -bits)  (negative setting) compares `test` to `ref`:
//      RVec<float>/RVec<double> under bits:N (baler_bounds.h), RVec<int> and every plain leaf
//      bit for bit. Prints "layout_snapshot NAME: VALUES CHANGED MUST BAD UNROUNDED" and
//      "layout_snapshot NAME algorithm: A" (the compression algorithm of the branch in `test`)
//      per RVec column, and "layout_snapshot: ENTRIES VALUES BAD" (BAD counts unrounded values
//      too); returns 0 when BAD is 0.
#include "Baler/Baler.h"
#include "baler_bounds.h"

#include "ROOT/RDataFrame.hxx"
#include "ROOT/RVec.hxx"
#include "TBranchElement.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TTree.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

int layout_snapshot(const char *pathA, const char *pathB, const char *treeName, int setting)
{
   if (setting > 0) {
      ROOT::RDF::RSnapshotOptions options;
      options.fCompressionAlgorithm = static_cast<ROOT::RCompressionSetting::EAlgorithm::EValues>(setting / 100);
      options.fCompressionLevel = setting % 100;
      ROOT::RDataFrame frame(treeName, pathA);
      auto snapshot = frame.Snapshot(treeName, pathB, frame.GetColumnNames(), options);
      printf("layout_snapshot: wrote %llu entries\n", (unsigned long long)*frame.Count());
      return 0;
   }
   const BalerTest::Spec spec = BalerTest::Spec::Parse("bits:" + std::to_string(-setting));
   std::unique_ptr<TFile> fa(TFile::Open(pathA)), fb(TFile::Open(pathB));
   auto *ta = fa ? fa->Get<TTree>(treeName) : nullptr;
   auto *tb = fb ? fb->Get<TTree>(treeName) : nullptr;
   if (!ta || !tb || ta->GetEntries() != tb->GetEntries())
      return 1;
   struct Column {
      std::string name, type;
      ROOT::RVec<float> *fa = nullptr, *fb = nullptr;
      ROOT::RVec<double> *da = nullptr, *db = nullptr;
      ROOT::RVec<int> *ia = nullptr, *ib = nullptr;
      BalerTest::Tally tally;
   };
   std::vector<Column> columns;
   columns.reserve(ta->GetListOfBranches()->GetEntriesFast());
   for (auto *branch : TRangeDynCast<TBranch>(ta->GetListOfBranches())) {
      auto *element = dynamic_cast<TBranchElement *>(branch);
      const std::string type = element ? element->GetClassName() : "";
      if (type == "ROOT::VecOps::RVec<int>") {
         columns.push_back({branch->GetName(), type});
         auto &c = columns.back();
         ta->SetBranchAddress(c.name.c_str(), &c.ia);
         tb->SetBranchAddress(c.name.c_str(), &c.ib);
      } else if (type == "ROOT::VecOps::RVec<float>" || type == "ROOT::VecOps::RVec<double>") {
         columns.push_back({branch->GetName(), type});
         auto &c = columns.back();
         if (type == "ROOT::VecOps::RVec<float>") {
            ta->SetBranchAddress(c.name.c_str(), &c.fa);
            tb->SetBranchAddress(c.name.c_str(), &c.fb);
         } else {
            ta->SetBranchAddress(c.name.c_str(), &c.da);
            tb->SetBranchAddress(c.name.c_str(), &c.db);
         }
      }
   }
   long long values = 0, bad = 0;
   for (Long64_t entry = 0; entry < ta->GetEntries(); ++entry) {
      if (ta->GetEntry(entry) <= 0 || tb->GetEntry(entry) <= 0)
         return 2;
      // Every leaf that is not an RVec of floating point: bit for bit through its value pointer.
      for (auto *leaf : TRangeDynCast<TLeaf>(ta->GetListOfLeaves())) {
         const std::string type = leaf->GetTypeName();
         if (type.find("RVec<") != std::string::npos)
            continue;
         auto *other = tb->GetLeaf(leaf->GetName());
         ++values;
         if (!other || leaf->GetLen() != other->GetLen() ||
             std::memcmp(leaf->GetValuePointer(), other->GetValuePointer(), leaf->GetLen() * leaf->GetLenType()) != 0)
            ++bad;
      }
      for (auto &c : columns) {
         if (c.fa) {
            if (c.fa->size() != c.fb->size())
               ++c.tally.bad;
            for (size_t j = 0; j < c.fa->size() && j < c.fb->size(); ++j)
               c.tally.Add(spec, (*c.fa)[j], (*c.fb)[j]);
         } else if (c.ia) {
            if (c.ia->size() != c.ib->size())
               ++c.tally.bad;
            for (size_t j = 0; j < c.ia->size() && j < c.ib->size(); ++j)
               c.tally.AddExact(&(*c.ia)[j], &(*c.ib)[j], sizeof(int));
         } else {
            if (c.da->size() != c.db->size())
               ++c.tally.bad;
            for (size_t j = 0; j < c.da->size() && j < c.db->size(); ++j)
               c.tally.Add(spec, (*c.da)[j], (*c.db)[j]);
         }
      }
   }
   for (auto &c : columns) {
      printf("layout_snapshot %s: %s\n", c.name.c_str(), c.tally.Numbers().c_str());
      printf("layout_snapshot %s algorithm: %d\n", c.name.c_str(), tb->GetBranch(c.name.c_str())->GetCompressionAlgorithm());
      values += c.tally.values;
      bad += c.tally.bad + c.tally.unrounded;
   }
   printf("layout_snapshot: %lld %lld %lld\n", ta->GetEntries(), values, bad);
   return bad == 0 ? 0 : 3;
}
