// Writes every top-level branch of a tree as ROOT reads it, for comparison with other readers
// (tests/test_uproot.py): OUTDIR/NAME.values holds all values in entry order (native byte
// order, the in-memory representation ROOT hands to an analysis), and for branches with a
// variable number of values per entry (x[n]/F, std::vector, RVec) OUTDIR/NAME.counts holds
// one int64 per entry. Prints "dump_branches: ENTRIES entries BRANCHES branches".
// Returns non-zero when a branch has a shape or type this macro does not know: it skips none.
//
// Plain branches (leaves, x[8]/F, x[n]/F) are read with TTree::GetEntry from the leaves' own
// buffers; TTreeReader is used only for std::vector/RVec branches, because TTreeReaderArray
// never finishes on a leaf whose name differs from its branch's (HZZ's Photon_E.Photons_E).
#include "TBranch.h"
#include "TBranchElement.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TTree.h"
#include "TTreeReader.h"
#include "TTreeReaderArray.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace dump {

struct Column {
   std::string name;
   bool variable = false;
   std::string values;
   std::vector<std::int64_t> counts;
   virtual ~Column() = default;
   virtual void Read() = 0;
   void Append(const void *data, std::size_t bytes, std::size_t count)
   {
      values.append(static_cast<const char *>(data), bytes);
      if (variable)
         counts.push_back(count);
   }
   void Write(const std::string &outDir) const
   {
      const std::string base = outDir + "/" + name;
      std::ofstream(base + ".values", std::ios::binary) << values;
      if (variable)
         std::ofstream(base + ".counts", std::ios::binary)
            .write(reinterpret_cast<const char *>(counts.data()), counts.size() * sizeof(std::int64_t));
   }
};

/// A plain branch with one leaf: after TTree::GetEntry, the leaf's buffer holds the entry.
struct LeafColumn : Column {
   TLeaf *leaf;
   explicit LeafColumn(TLeaf *l) : leaf(l) {}
   void Read() override
   {
      const std::size_t n = leaf->GetLen();
      Append(leaf->GetValuePointer(), n * leaf->GetLenType(), n);
   }
};

template <typename T>
struct CollectionColumn : Column {
   TTreeReaderArray<T> reader;
   CollectionColumn(TTreeReader &r, const char *branch) : reader(r, branch) { variable = true; }
   void Read() override
   {
      const std::size_t n = reader.GetSize();
      std::vector<T> entry(reader.begin(), reader.end());
      Append(entry.data(), n * sizeof(T), n);
   }
};

/// std::vector<T> or ROOT::VecOps::RVec<T> of numbers; nullptr for anything else.
std::unique_ptr<Column> MakeCollectionColumn(TTreeReader &reader, TBranchElement &branch)
{
   const std::string cls = branch.GetClassName();
   const auto open = cls.find('<'), close = cls.rfind('>');
   if (open == std::string::npos || close == std::string::npos)
      return nullptr;
   const std::string type = cls.substr(open + 1, close - open - 1);
   const char *name = branch.GetName();
   std::unique_ptr<Column> column;
   if (type == "float") column = std::make_unique<CollectionColumn<float>>(reader, name);
   else if (type == "double") column = std::make_unique<CollectionColumn<double>>(reader, name);
   else if (type == "int") column = std::make_unique<CollectionColumn<int>>(reader, name);
   else if (type == "unsigned int") column = std::make_unique<CollectionColumn<unsigned int>>(reader, name);
   else if (type == "char") column = std::make_unique<CollectionColumn<char>>(reader, name);
   else if (type == "unsigned char") column = std::make_unique<CollectionColumn<unsigned char>>(reader, name);
   else if (type == "short") column = std::make_unique<CollectionColumn<short>>(reader, name);
   else if (type == "long long" || type == "Long64_t") column = std::make_unique<CollectionColumn<long long>>(reader, name);
   return column;
}

} // namespace dump

int dump_branches(const char *path, const char *treeName, const char *outDir)
{
   std::unique_ptr<TFile> file(TFile::Open(path));
   auto *tree = file ? file->Get<TTree>(treeName) : nullptr;
   if (!tree) {
      printf("dump_branches: cannot read tree %s from %s\n", treeName, path);
      return 1;
   }
   std::vector<std::unique_ptr<dump::Column>> plain, collections;
   TTreeReader reader(tree);
   for (auto *branch : TRangeDynCast<TBranch>(tree->GetListOfBranches())) {
      std::unique_ptr<dump::Column> column;
      if (auto *element = dynamic_cast<TBranchElement *>(branch)) {
         column = dump::MakeCollectionColumn(reader, *element);
      } else if (branch->GetListOfLeaves()->GetEntries() == 1 && branch->GetListOfBranches()->GetEntries() == 0) {
         auto *leaf = static_cast<TLeaf *>(branch->GetListOfLeaves()->At(0));
         column = std::make_unique<dump::LeafColumn>(leaf);
         column->variable = leaf->GetLeafCount() != nullptr;
      }
      if (!column) {
         printf("dump_branches: branch %s (%s, class '%s') is not a shape this macro knows\n", branch->GetName(),
                branch->ClassName(), branch->GetClassName());
         return 1;
      }
      column->name = branch->GetName();
      (dynamic_cast<TBranchElement *>(branch) ? collections : plain).push_back(std::move(column));
   }
   const Long64_t entries = tree->GetEntries();
   for (Long64_t i = 0; i < entries && !plain.empty(); ++i) {
      if (tree->GetEntry(i) <= 0) {
         printf("dump_branches: cannot read entry %lld of %s\n", i, path);
         return 1;
      }
      for (auto &column : plain)
         column->Read();
   }
   Long64_t read = 0;
   while (!collections.empty() && reader.Next()) {
      for (auto &column : collections)
         column->Read();
      ++read;
   }
   if (!collections.empty() && (read != entries || reader.GetEntryStatus() != TTreeReader::kEntryBeyondEnd)) {
      printf("dump_branches: TTreeReader stopped after %lld of %lld entries (status %d)\n", read, entries,
             int(reader.GetEntryStatus()));
      return 1;
   }
   for (const auto *group : {&plain, &collections})
      for (auto &column : *group)
         column->Write(outDir);
   printf("dump_branches: %lld entries %zu branches\n", entries, plain.size() + collections.size());
   return 0;
}
