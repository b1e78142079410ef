// The ROOT side of bench/rate_distortion.py: each lossy method that is a ROOT feature (or a
// practice applied before ROOT writes, NanoAOD's mantissa rounding) written as a real ROOT file.
//
// RateDistortion::RewriteTree writes the float branches of a tree (leaf lists, std::vector or
// RVec of float) entry by entry as a NanoAOD-style tree of leaf lists with one compression
// setting, changing only how the floats are stored; RateDistortion::WriteRNTuple writes the same
// floats as RNTuple fields with a reduced on-disk representation. Every method goes through the
// same writer, so the baskets differ only by the method.
#include "Baler/Baler.h" // loads libBalerROOT: the Baler settings and SetCodec

#include "ROOT/RField.hxx"
#include "ROOT/RNTupleModel.hxx"
#include "ROOT/RNTupleReader.hxx"
#include "ROOT/RNTupleWriteOptions.hxx"
#include "ROOT/RNTupleWriter.hxx"
#include "TBranch.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TTree.h"
#include "ROOT/RVec.hxx"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace RateDistortion {

enum class FloatStorage {
   kAsIs,          // Float_t, the values unchanged (lossless settings, Baler codecs)
   kRounded,       // Float_t, mantissa rounded to nearest `bits` bits first (CMS NanoAOD practice)
   kFloat16,       // Float16_t, title /f[0,0,bits]: `bits` mantissa bits kept by ROOT's streamer
   kDouble32,      // Double32_t, title /d[0,0,bits]: the same on a double in memory
   kFloat16Range,  // Float16_t, title /f[min,max,N]: an integer of N bits in [min, max], per branch
};

/// x with its mantissa rounded to nearest `bits` bits (ties away from zero), as NanoAOD's
/// MiniFloatConverter rounding does; 0, infinities and NaN unchanged.
inline float RoundMantissa(float x, int bits)
{
   if (x == 0.f || !std::isfinite(x))
      return x;
   int exponent;
   const double mantissa = std::frexp(static_cast<double>(x), &exponent); // 0.5 <= |mantissa| < 1
   return static_cast<float>(std::ldexp(std::round(std::ldexp(mantissa, bits + 1)), exponent - bits - 1));
}

/// How a branch is quantised in a fixed range: {min, max, bits} (Float16_t [min,max,N], RNTuple
/// SetQuantized).
using Quantisation = std::map<std::string, std::vector<double>>;

/// One float branch of the input tree, read entry by entry: a leaf-list leaf (`x/F`, `x[N]/F`,
/// `x[n]/F`), a std::vector<float> / ROOT::RVec<float> object branch (NanoAOD written by
/// RDataFrame) or a std::vector<std::vector<float>> (ATLAS xAOD's covariance matrices).
class FloatColumn {
public:
   using Nested = std::vector<std::vector<float>>;

   FloatColumn(TTree &tree, TBranch &branch) : fName(branch.GetName())
   {
      const std::string className = branch.GetClassName();
      if (IsNested(className)) {
         tree.SetBranchAddress(fName.c_str(), &fNested);
         return;
      }
      if (className == "vector<float>" || className == "std::vector<float>") {
         tree.SetBranchAddress(fName.c_str(), &fVector);
      } else if (className == "ROOT::VecOps::RVec<float>" || className == "ROOT::RVec<float>") {
         tree.SetBranchAddress(fName.c_str(), &fRVec);
      } else if (className.empty() && branch.GetListOfLeaves()->GetEntriesFast() == 1 &&
                 std::string(static_cast<TLeaf *>(branch.GetListOfLeaves()->At(0))->GetTypeName()) == "Float_t") {
         fLeaf = static_cast<TLeaf *>(branch.GetListOfLeaves()->At(0));
         const TLeaf *count = fLeaf->GetLeafCount();
         fLeafBuffer.resize(fLeaf->GetLenStatic() * (count ? std::max(1, count->GetMaximum()) : 1));
         tree.SetBranchAddress(fName.c_str(), fLeafBuffer.data());
         if (count)
            fCountName = count->GetName();
      } else {
         throw std::runtime_error("branch " + fName + " holds no floats the rate-distortion writer reads");
      }
      if (!fLeaf) {
         // NanoAOD's convention: the counter of Muon_* is nMuon; else one of its own.
         const std::string collection = fName.substr(0, fName.find('_'));
         fCountName = tree.GetBranch(("n" + collection).c_str()) ? "n" + collection : fName + "_n";
      }
   }

   static bool IsNested(const std::string &className)
   {
      return className == "vector<vector<float> >" || className == "std::vector<std::vector<float> >" ||
             className == "vector<vector<float>>" || className == "std::vector<std::vector<float>>";
   }

   /// Whether the branch holds floats this class reads.
   static bool Holds(TBranch &branch)
   {
      const std::string className = branch.GetClassName();
      if (!className.empty())
         return IsNested(className) || className == "vector<float>" || className == "std::vector<float>" ||
                className == "ROOT::VecOps::RVec<float>" || className == "ROOT::RVec<float>";
      return branch.GetListOfLeaves()->GetEntriesFast() == 1 &&
             std::string(static_cast<TLeaf *>(branch.GetListOfLeaves()->At(0))->GetTypeName()) == "Float_t";
   }

   const std::string &Name() const { return fName; }
   /// "" for a scalar, "[N]" for a fixed array, "[counter]" for a variable one.
   std::string Dimensions() const
   {
      if (!fCountName.empty())
         return "[" + fCountName + "]";
      return fLeaf->GetLenStatic() > 1 ? "[" + std::to_string(fLeaf->GetLenStatic()) + "]" : "";
   }
   const std::string &CountName() const { return fCountName; }
   bool IsScalar() const { return !fNested && Dimensions().empty(); }
   /// The vectors of the entry read last, for a vector<vector<float>> branch; else nullptr.
   const Nested *Vectors() const { return fNested; }
   /// The values of the entry read last (not for a vector<vector<float>> branch).
   const float *Data() const { return fLeaf ? fLeafBuffer.data() : fVector ? fVector->data() : fRVec->data(); }
   int Size() const { return fLeaf ? fLeaf->GetLen() : fVector ? int(fVector->size()) : int(fRVec->size()); }

private:
   std::string fName, fCountName;
   Nested *fNested = nullptr;
   TLeaf *fLeaf = nullptr;
   std::vector<float> fLeafBuffer;
   std::vector<float> *fVector = nullptr;
   ROOT::RVec<float> *fRVec = nullptr;
};

/// The float branches of a tree (those named in `only`, when it is not empty), ready to be read
/// entry by entry (the other branches are not read).
inline std::vector<std::unique_ptr<FloatColumn>> FloatColumns(TTree &tree, const std::vector<std::string> &only)
{
   tree.SetBranchStatus("*", false);
   std::vector<std::unique_ptr<FloatColumn>> columns;
   for (auto *branch : TRangeDynCast<TBranch>(tree.GetListOfBranches())) {
      if (!FloatColumn::Holds(*branch) ||
          (!only.empty() && std::find(only.begin(), only.end(), branch->GetName()) == only.end()))
         continue;
      tree.SetBranchStatus(branch->GetName(), true);
      if (auto *leaf = static_cast<TLeaf *>(branch->GetListOfLeaves()->At(0)); leaf && leaf->GetLeafCount())
         tree.SetBranchStatus(leaf->GetLeafCount()->GetBranch()->GetName(), true);
      columns.push_back(std::make_unique<FloatColumn>(tree, *branch));
   }
   return columns;
}

inline TTree &OpenTree(std::unique_ptr<TFile> &file, const std::string &path, const std::string &treeName)
{
   file.reset(TFile::Open(path.c_str(), "READ"));
   auto *tree = file ? file->Get<TTree>(treeName.c_str()) : nullptr;
   if (!tree)
      throw std::runtime_error("cannot read tree '" + treeName + "' of " + path);
   return *tree;
}

/// The names of the float branches FloatColumns reads, in the tree's order.
inline std::vector<std::string> FloatBranchNames(const std::string &path, const std::string &treeName)
{
   std::unique_ptr<TFile> file;
   std::vector<std::string> names;
   for (auto *branch : TRangeDynCast<TBranch>(OpenTree(file, path, treeName).GetListOfBranches()))
      if (FloatColumn::Holds(*branch))
         names.push_back(branch->GetName());
   return names;
}

/// The RNTuple field of a branch: RNTuple refuses '.' in field names (ATLAS's Aux.member).
inline std::string FieldName(std::string branch)
{
   std::replace(branch.begin(), branch.end(), '.', '_');
   return branch;
}

/// A number as a Float16_t range in a branch title reads it back: every digit of a float.
inline std::string RangeNumber(double x)
{
   char text[32];
   std::snprintf(text, sizeof text, "%.9g", x);
   return text;
}

/// Writes the float branches of tree `treeName` of `inPath` (with the counters they need) as a
/// NanoAOD-style tree of leaf lists (`x/F`, `x[n]/F`) into `outPath` with compression `settings`
/// (ROOT's algorithm*100+level, Baler::Settings too), the floats stored as `storage` says (`bits`:
/// mantissa bits; kFloat16Range takes each branch's {min, max, bits} from `quantisation`).
/// `codecs` maps branch names to a Baler spec, set with Baler::SetCodec. `only`: the branches to
/// write (empty: every float branch). A vector<vector<float>> branch is written as one, rounded or
/// as is (ROOT has no Float16_t/Double32_t form of it). Returns the entries.
inline Long64_t RewriteTree(const std::string &inPath, const std::string &outPath, const std::string &treeName,
                            const std::vector<std::string> &only, int settings, FloatStorage storage, int bits,
                            const Quantisation &quantisation, const std::map<std::string, std::string> &codecs)
{
   std::unique_ptr<TFile> in;
   TTree &tree = OpenTree(in, inPath, treeName);
   auto columns = FloatColumns(tree, only);
   TFile out(outPath.c_str(), "RECREATE");
   out.SetCompressionSettings(settings);
   TTree copy(tree.GetName(), tree.GetTitle());
   std::map<std::string, Int_t> counts;
   // Output buffers, sized for the largest entry seen so far (the branch's address follows them).
   std::vector<std::vector<float>> floats(columns.size());
   std::vector<std::vector<double>> doubles(columns.size());
   std::vector<FloatColumn::Nested> nested(columns.size());
   std::vector<FloatColumn::Nested *> nestedAddresses(columns.size());
   std::vector<TBranch *> branches;
   for (std::size_t c = 0; c < columns.size(); ++c) {
      const FloatColumn &column = *columns[c];
      if (column.Vectors()) {
         if (storage != FloatStorage::kAsIs && storage != FloatStorage::kRounded)
            throw std::runtime_error("branch " + column.Name() + ": ROOT has no reduced form of vector<vector<float>>");
         nestedAddresses[c] = &nested[c];
         branches.push_back(copy.Branch(column.Name().c_str(), &nestedAddresses[c]));
         continue;
      }
      if (!column.CountName().empty() && !counts.count(column.CountName())) {
         counts[column.CountName()] = 0;
         copy.Branch(column.CountName().c_str(), &counts[column.CountName()], (column.CountName() + "/I").c_str());
      }
      std::string type = "/F";
      if (storage == FloatStorage::kFloat16) {
         type = "/f[0,0," + std::to_string(bits) + "]";
      } else if (storage == FloatStorage::kDouble32) {
         type = "/d[0,0," + std::to_string(bits) + "]";
      } else if (storage == FloatStorage::kFloat16Range) {
         const auto &q = quantisation.at(column.Name());
         type = "/f[" + RangeNumber(q.at(0)) + "," + RangeNumber(q.at(1)) + "," + std::to_string(int(q.at(2))) + "]";
      }
      floats[c].resize(1);
      doubles[c].resize(1);
      void *address = storage == FloatStorage::kDouble32 ? static_cast<void *>(doubles[c].data()) : floats[c].data();
      branches.push_back(copy.Branch(column.Name().c_str(), address, (column.Name() + column.Dimensions() + type).c_str()));
   }
   for (const auto &[name, spec] : codecs)
      if (Baler::SetCodec(&copy, name.c_str(), Baler::Codec::Parse(spec.c_str())) != 1)
         throw std::runtime_error("Baler::SetCodec matched no branch '" + name + "'");
   for (Long64_t entry = 0; entry < tree.GetEntries(); ++entry) {
      if (tree.GetEntry(entry) <= 0)
         throw std::runtime_error("cannot read entry " + std::to_string(entry) + " of " + inPath);
      for (std::size_t c = 0; c < columns.size(); ++c) {
         const FloatColumn &column = *columns[c];
         if (column.Vectors()) {
            nested[c] = *column.Vectors();
            if (storage == FloatStorage::kRounded)
               for (auto &row : nested[c])
                  for (float &x : row)
                     x = RoundMantissa(x, bits);
            continue;
         }
         const int size = column.Size();
         if (!column.CountName().empty())
            counts[column.CountName()] = size; // columns sharing a counter have its length
         if (storage == FloatStorage::kDouble32) {
            if (std::size_t(size) > doubles[c].size()) {
               doubles[c].resize(size);
               branches[c]->SetAddress(doubles[c].data());
            }
            std::copy(column.Data(), column.Data() + size, doubles[c].begin());
         } else {
            if (std::size_t(size) > floats[c].size()) {
               floats[c].resize(size);
               branches[c]->SetAddress(floats[c].data());
            }
            std::copy(column.Data(), column.Data() + size, floats[c].begin());
            if (storage == FloatStorage::kRounded)
               for (int i = 0; i < size; ++i)
                  floats[c][i] = RoundMantissa(floats[c][i], bits);
         }
      }
      copy.Fill();
   }
   copy.Write();
   return copy.GetEntries();
}

/// Writes the float branches of tree `treeName` as RNTuple `treeName` in `outPath` (scalars as
/// float fields, arrays as std::vector<float>), compression `settings`. `truncatedBits` > 0: every
/// float field SetTruncated(truncatedBits); else a non-empty `quantisation`: SetQuantized with
/// each branch's {min, max, bits}; else plain float (lossless).
inline void WriteRNTuple(const std::string &inPath, const std::string &outPath, const std::string &treeName,
                         const std::vector<std::string> &only, int settings, int truncatedBits,
                         const Quantisation &quantisation)
{
   std::unique_ptr<TFile> in;
   TTree &tree = OpenTree(in, inPath, treeName);
   auto columns = FloatColumns(tree, only);
   auto model = ROOT::RNTupleModel::CreateBare();
   for (const auto &column : columns) {
      auto item = std::make_unique<ROOT::RField<float>>(column->IsScalar() ? FieldName(column->Name()) : "_0");
      if (truncatedBits > 0) {
         item->SetTruncated(truncatedBits);
      } else if (!quantisation.empty()) {
         const auto &q = quantisation.at(column->Name());
         item->SetQuantized(std::size_t(q.at(2)), {static_cast<float>(q.at(0)), static_cast<float>(q.at(1))});
      }
      if (column->IsScalar())
         model->AddField(std::move(item));
      else if (column->Vectors())
         model->AddField(std::make_unique<ROOT::RVectorField>(
            FieldName(column->Name()), std::make_unique<ROOT::RVectorField>("_0", std::move(item))));
      else
         model->AddField(std::make_unique<ROOT::RVectorField>(FieldName(column->Name()), std::move(item)));
   }
   ROOT::RNTupleWriteOptions options;
   options.SetCompression(settings);
   auto writer = ROOT::RNTupleWriter::Recreate(std::move(model), treeName, outPath, options);
   auto entry = writer->GetModel().CreateBareEntry();
   std::vector<std::vector<float>> arrays(columns.size());
   std::vector<float> scalars(columns.size());
   std::vector<FloatColumn::Nested> nested(columns.size());
   for (std::size_t c = 0; c < columns.size(); ++c) {
      if (columns[c]->IsScalar())
         entry->BindRawPtr(FieldName(columns[c]->Name()), &scalars[c]);
      else if (columns[c]->Vectors())
         entry->BindRawPtr(FieldName(columns[c]->Name()), &nested[c]);
      else
         entry->BindRawPtr(FieldName(columns[c]->Name()), &arrays[c]);
   }
   for (Long64_t e = 0; e < tree.GetEntries(); ++e) {
      tree.GetEntry(e);
      for (std::size_t c = 0; c < columns.size(); ++c) {
         if (columns[c]->Vectors()) {
            nested[c] = *columns[c]->Vectors();
            continue;
         }
         const float *data = columns[c]->Data();
         if (columns[c]->IsScalar())
            scalars[c] = data[0];
         else
            arrays[c].assign(data, data + columns[c]->Size());
      }
      writer->Fill(*entry);
   }
}

/// Every value of the float field of `branch` in RNTuple `name`, entries in order, arrays flattened.
inline std::vector<double> ReadRNTupleField(const std::string &path, const std::string &name, const std::string &branch)
{
   const std::string field = FieldName(branch);
   auto reader = ROOT::RNTupleReader::Open(name, path);
   std::vector<double> values;
   const std::string type = reader->GetModel().GetConstField(field).GetTypeName();
   if (type == "float") {
      auto view = reader->GetView<float>(field);
      for (auto e : reader->GetEntryRange())
         values.push_back(view(e));
   } else if (type == "std::vector<std::vector<float>>") {
      auto view = reader->GetView<std::vector<std::vector<float>>>(field);
      for (auto e : reader->GetEntryRange())
         for (const auto &row : view(e))
            values.insert(values.end(), row.begin(), row.end());
   } else {
      auto view = reader->GetView<std::vector<float>>(field);
      for (auto e : reader->GetEntryRange())
         for (float v : view(e))
            values.push_back(v);
   }
   return values;
}

} // namespace RateDistortion
