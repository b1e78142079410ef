// Trees of nested vectors for Baler's nested-vector basket layouts (tests/test_nested_layouts.py).
//
//    nested_trees(path, spec, entries, basketSize, sourcePath = "")
//      writes tree "t" with std::vector<std::vector<float|double|int>> branches in every form ROOT
//      writes them: top level (split 99 and 0, the form of ATLAS's xAOD AuxDyn branches), members
//      of a split class, and members of the objects of a split TClonesArray (with a plain
//      vector<float> member beside them). `spec` is "none" (uncompressed, the reference) or a
//      Baler codec spec given to every branch with Baler::SetCodec. Outer and inner vectors are
//      often empty; NaN, +-Inf, -0.0, subnormals, the largest finite values and values that every
//      spec stores exactly are mixed in; some entries are larger than a basket.
//      With `sourcePath`, the entries are copied from that file's tree instead of generated.
//    nested_check.C compares two such files.
#include "Baler/Baler.h"

#include "TClonesArray.h"
#include "TFile.h"
#include "TRandom3.h"
#include "TTree.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

template <typename T>
using Nested = std::vector<std::vector<T>>;

class NestedEvent {
public:
   float x = 0;
   Nested<float> cov;
   Nested<double> covd;
   Nested<int> ids;
   virtual ~NestedEvent() = default;
   ClassDef(NestedEvent, 1)
};

class NestedTrack : public TObject {
public:
   float pt = 0;
   Nested<float> cov;
   std::vector<float> vf;
   ClassDef(NestedTrack, 1)
};

namespace nested {

/// A value of type T: mostly random over many binades, now and then one a codec must keep
/// exactly (non-finite, -0.0, subnormal, the largest finite value, whose rounding would overflow)
/// or one that every spec of the tests can represent (few mantissa bits, a multiple of 2e-3).
template <typename T>
T Value(TRandom3 &random, long long &k)
{
   using limits = std::numeric_limits<T>;
   switch (k++ % 61) {
   case 3: return limits::quiet_NaN();
   case 7: return -limits::infinity();
   case 11: return -T(0);
   case 13: return limits::denorm_min() * 37;
   case 17: return T(0);
   case 19: return limits::max();
   case 23: return -limits::max() / 3;
   case 29: return T(std::ldexp(1.5, int(random.Integer(40)) - 20)); // 1 mantissa bit
   case 31: return T(double(int(random.Integer(2001)) - 1000) * 2e-3);
   default: return T(random.Gaus(0, 50) * std::exp(random.Uniform(-8, 8)));
   }
}

/// Refills `nested` with a random number of inner vectors of random sizes (both often 0); every
/// 97th entry is larger than the baskets of the tests.
template <typename T, typename Gen>
void Fill(Nested<T> &nested, TRandom3 &random, long long entry, Gen gen)
{
   const bool big = entry % 97 == 5;
   const int outer = big ? 40 : int(random.Integer(7)) - 1; // -1: empty
   nested.clear();
   for (int i = 0; i < outer; ++i) {
      const int inner = big ? 60 : int(random.Integer(20)) - 4; // <= 0: empty
      nested.emplace_back();
      for (int j = 0; j < inner; ++j)
         nested.back().push_back(gen());
   }
}

} // namespace nested

int nested_trees(const char *path, const char *spec, int entries, int basketSize, const char *sourcePath = "")
{
   using namespace nested;
   TFile file(path, "RECREATE");
   TTree tree("t", "nested vectors");
   Nested<float> vvf, vvf0;
   Nested<double> vvd;
   auto *ev = new NestedEvent;
   auto *tc = new TClonesArray("NestedTrack");
   tree.Branch("vvf", &vvf);
   tree.Branch("vvf0", &vvf0, 32000, 0);
   tree.Branch("vvd", &vvd);
   tree.Branch("ev", &ev, 32000, 99);
   tree.Branch("tc", &tc, 32000, 99);
   for (auto *branch : TRangeDynCast<TBranch>(tree.GetListOfBranches()))
      branch->SetBasketSize(basketSize);
   if (std::string(spec) == "none")
      file.SetCompressionSettings(0);
   else
      Baler::SetCodec(&tree, "*", Baler::Codec::Parse(spec));

   std::unique_ptr<TFile> source;
   TTree *input = nullptr;
   // The source tree reads straight into the objects the new tree writes.
   Nested<float> *vvfAddress = &vvf, *vvf0Address = &vvf0;
   Nested<double> *vvdAddress = &vvd;
   if (*sourcePath) {
      source.reset(TFile::Open(sourcePath));
      input = source ? source->Get<TTree>("t") : nullptr;
      if (!input)
         return 1;
      input->SetBranchAddress("vvf", &vvfAddress);
      input->SetBranchAddress("vvf0", &vvf0Address);
      input->SetBranchAddress("vvd", &vvdAddress);
      input->SetBranchAddress("ev", &ev);
      input->SetBranchAddress("tc", &tc);
      entries = int(input->GetEntries());
      file.cd(); // TTree::Write writes to the current directory
   }

   TRandom3 random(1212);
   long long k = 0;
   auto fvalue = [&] { return Value<float>(random, k); };
   auto dvalue = [&] { return Value<double>(random, k); };
   auto ivalue = [&] { return int(random.Integer(100000)) - 50000; };
   for (int entry = 0; entry < entries; ++entry) {
      if (input) {
         if (input->GetEntry(entry) <= 0)
            return 2;
      } else {
         Fill(vvf, random, entry, fvalue);
         Fill(vvf0, random, entry, fvalue);
         Fill(vvd, random, entry, dvalue);
         ev->x = fvalue();
         Fill(ev->cov, random, entry, fvalue);
         Fill(ev->covd, random, entry, dvalue);
         Fill(ev->ids, random, entry, ivalue);
         tc->Clear();
         const int tracks = int(random.Integer(5));
         for (int j = 0; j < tracks; ++j) {
            auto *track = new ((*tc)[j]) NestedTrack;
            track->pt = fvalue();
            Fill(track->cov, random, entry + j, fvalue);
            track->vf.resize(random.Integer(6));
            for (auto &v : track->vf)
               v = fvalue();
         }
      }
      tree.Fill();
   }
   tree.Write();
   printf("nested_trees: %lld entries\n", tree.GetEntries());
   if (input)
      input->ResetBranchAddresses();
   delete ev;
   delete tc;
   return 0;
}
