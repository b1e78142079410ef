// Compares two files written by nested_trees.C, value by value:
//
//    nested_check(refPath, testPath, spec)
//      `spec` is the codec the test file was written with (baler_bounds.h judges every float and
//      double value by it: within the bound, and under bits:N exactly the values with more than
//      N mantissa bits changed). Every size (entries, outer and inner vectors, objects) and
//      every int must be equal. Prints per branch "nested_check NAME: VALUES CHANGED MUST BAD
//      UNROUNDED" (NAME.outer and NAME.size for the sizes), per float branch of the test file
//      "nested_check bytes NAME: ZIPBYTES BASKETS", and "nested_check: ENTRIES VALUES BAD" where
//      BAD counts bad and unrounded values. Returns 0 when BAD is 0.
#include "baler_bounds.h"
#include "nested_trees.C"

#include <map>
#include <type_traits>

namespace nested {

struct Checker {
   BalerTest::Spec spec;
   std::map<std::string, BalerTest::Tally> tallies;
   long long reported = 0;

   void Report(const std::string &name, bool ok)
   {
      if (!ok && ++reported <= 20)
         printf("nested_check: %s: a value is out of spec\n", name.c_str());
   }

   template <typename T>
   void Compare(const std::string &name, T a, T b)
   {
      if constexpr (std::is_floating_point_v<T>)
         Report(name, tallies[name].Add(spec, a, b));
      else
         Report(name, tallies[name].AddExact(&a, &b, sizeof(T)));
   }

   template <typename T>
   void CompareVectors(const std::string &name, const std::vector<T> &a, const std::vector<T> &b)
   {
      Compare(name + ".size", a.size(), b.size());
      for (size_t j = 0; j < a.size() && j < b.size(); ++j)
         Compare(name, a[j], b[j]);
   }

   template <typename T>
   void CompareNested(const std::string &name, const Nested<T> &a, const Nested<T> &b)
   {
      Compare(name + ".outer", a.size(), b.size());
      for (size_t i = 0; i < a.size() && i < b.size(); ++i)
         CompareVectors(name, a[i], b[i]);
   }

   /// Prints the per-branch lines; returns the bad and unrounded values of all branches.
   long long Print()
   {
      long long bad = 0;
      for (auto &[name, t] : tallies) {
         printf("nested_check %s: %s\n", name.c_str(), t.Numbers().c_str());
         bad += t.bad + t.unrounded;
      }
      return bad;
   }
};

struct Reader {
   Nested<float> *vvf = nullptr, *vvf0 = nullptr;
   Nested<double> *vvd = nullptr;
   NestedEvent *ev = nullptr;
   TClonesArray *tc = new TClonesArray("NestedTrack");

   explicit Reader(TTree &tree)
   {
      tree.SetBranchAddress("vvf", &vvf);
      tree.SetBranchAddress("vvf0", &vvf0);
      tree.SetBranchAddress("vvd", &vvd);
      tree.SetBranchAddress("ev", &ev);
      tree.SetBranchAddress("tc", &tc);
   }
};

} // namespace nested

int nested_check(const char *refPath, const char *testPath, const char *specText)
{
   using namespace nested;
   Checker check{BalerTest::Spec::Parse(specText), {}};
   if (check.spec.kind == BalerTest::Spec::kInvalid) {
      printf("nested_check: unknown spec %s\n", specText);
      return 1;
   }
   std::unique_ptr<TFile> fa(TFile::Open(refPath)), fb(TFile::Open(testPath));
   auto *ta = fa ? fa->Get<TTree>("t") : nullptr;
   auto *tb = fb ? fb->Get<TTree>("t") : nullptr;
   if (!ta || !tb)
      return 2;
   if (ta->GetEntries() != tb->GetEntries()) {
      printf("nested_check: entries differ: %lld vs %lld\n", ta->GetEntries(), tb->GetEntries());
      return 3;
   }
   Reader a(*ta), b(*tb);
   for (Long64_t entry = 0; entry < ta->GetEntries(); ++entry) {
      if (ta->GetEntry(entry) <= 0 || tb->GetEntry(entry) <= 0) {
         printf("nested_check: entry %lld could not be read\n", entry);
         return 4;
      }
      check.CompareNested("vvf", *a.vvf, *b.vvf);
      check.CompareNested("vvf0", *a.vvf0, *b.vvf0);
      check.CompareNested("vvd", *a.vvd, *b.vvd);
      check.Compare("ev.x", a.ev->x, b.ev->x);
      check.CompareNested("ev.cov", a.ev->cov, b.ev->cov);
      check.CompareNested("ev.covd", a.ev->covd, b.ev->covd);
      check.CompareNested("ev.ids", a.ev->ids, b.ev->ids);
      check.Compare("tc", a.tc->GetEntriesFast(), b.tc->GetEntriesFast());
      for (int j = 0; j < a.tc->GetEntriesFast() && j < b.tc->GetEntriesFast(); ++j) {
         auto *ra = static_cast<NestedTrack *>(a.tc->At(j));
         auto *rb = static_cast<NestedTrack *>(b.tc->At(j));
         check.Compare("tc.pt", ra->pt, rb->pt);
         check.CompareNested("tc.cov", ra->cov, rb->cov);
         check.CompareVectors("tc.vf", ra->vf, rb->vf);
      }
   }
   const long long bad = check.Print();
   long long values = 0;
   for (auto &[name, t] : check.tallies)
      values += t.values;
   // The members of "ev" are named without the prefix ("cov"), those of the TClonesArray with it.
   auto *members = tb->GetBranch("ev")->GetListOfBranches();
   const std::pair<const char *, TBranch *> floatBranches[] = {
      {"vvf", tb->GetBranch("vvf")},
      {"vvf0", tb->GetBranch("vvf0")},
      {"vvd", tb->GetBranch("vvd")},
      {"ev.cov", static_cast<TBranch *>(members->FindObject("cov"))},
      {"ev.covd", static_cast<TBranch *>(members->FindObject("covd"))},
      {"tc.cov", tb->GetBranch("tc.cov")},
      {"tc.vf", tb->GetBranch("tc.vf")}};
   for (auto [name, branch] : floatBranches)
      printf("nested_check bytes %s: %lld %d\n", name, branch->GetZipBytes(), branch->GetWriteBasket());
   printf("nested_check: %lld %lld %lld\n", ta->GetEntries(), values, bad);
   return bad == 0 ? 0 : 5;
}
