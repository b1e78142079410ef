// Compares two files written by nested_trees.C, value by value:
//
//    nested_check(refPath, testPath, spec)
//      `spec` is the codec the test file was written with. Every size (entries, outer and inner
//      vectors, objects) and every int must be equal. Float and double values:
//        lossless  bit for bit;
//        bits:N    bit for bit equal to the value the codec's quantiser must produce (mantissa
//                  rounded half up to N bits; non-finite, -0.0 and subnormal values, doubles
//                  below 1e-289 and values whose rounding leaves the bound kept exactly);
//        abs:E     bit for bit equal to round(x / 2E) * 2E in the value's type, or x where that
//                  misses the bound, overflows the code range or x is non-finite, -0.0 or
//                  subnormal;
//        rel:E     |x'-x| <= E|x|, and the values above kept exactly.
//      So under bits and abs the set of values that change is exactly the predicted one.
//      Prints per branch "nested_check NAME: VALUES CODABLE CHANGED BAD" (CODABLE: finite
//      normal non-zero values, the only ones a spec may change), per float branch of the test
//      file "nested_check bytes NAME: ZIPBYTES BASKETS", and "nested_check: ENTRIES VALUES BAD".
//      Returns 0 when BAD is 0.
#include "nested_trees.C"

#include <cstdint>
#include <cstring>
#include <map>
#include <type_traits>

namespace nested {

/// The codec spec the test file was written with, as the predictions need it.
struct Spec {
   enum Kind { kLossless, kBits, kRel, kAbs } kind = kLossless;
   int bits = 0;
   double bound = 0;

   static bool Parse(const std::string &text, Spec &spec)
   {
      const auto colon = text.find(':');
      const std::string name = text.substr(0, colon);
      const std::string arg = colon == std::string::npos ? "" : text.substr(colon + 1);
      if (name == "lossless")
         spec.kind = kLossless;
      else if (name == "bits")
         spec.kind = kBits, spec.bits = std::stoi(arg);
      else if (name == "rel")
         spec.kind = kRel, spec.bound = std::stod(arg);
      else if (name == "abs")
         spec.kind = kAbs, spec.bound = std::stod(arg);
      else
         return false;
      return true;
   }
};

/// The codec's margin on every bound (rust/baler-codec/src/float.rs: SAFETY).
constexpr double kSafety = 1.0 - 1.0 / double(1ull << 40);

template <typename T>
using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

template <typename T>
Bits<T> BitsOf(T x)
{
   Bits<T> b;
   std::memcpy(&b, &x, sizeof b);
   return b;
}

template <typename T>
T FromBits(Bits<T> b)
{
   T x;
   std::memcpy(&x, &b, sizeof x);
   return x;
}

/// Values every spec keeps exactly: non-finite, -0.0, subnormal; for double also magnitudes
/// below the codec's smallest relative-coded value.
template <typename T>
bool KeptExactly(T x)
{
   if (!std::isfinite(x) || std::fpclassify(x) == FP_SUBNORMAL || (x == 0 && std::signbit(x)))
      return true;
   return sizeof(T) == 8 && x != 0 && std::abs(double(x)) < 1.0e-289;
}

template <typename T>
T PredictBits(T x, int n)
{
   if (KeptExactly(x))
      return x;
   constexpr int mantissaBits = std::numeric_limits<T>::digits - 1;
   constexpr Bits<T> sign = Bits<T>(1) << (sizeof(T) * 8 - 1);
   const Bits<T> b = BitsOf(x);
   const int shift = mantissaBits - n;
   const Bits<T> rounded = ((((b & ~sign) + (Bits<T>(1) << (shift - 1))) >> shift) << shift) & ~sign;
   const T xr = FromBits<T>((b & sign) | rounded);
   const double bound = std::ldexp(1.0, -(n + 1)) * std::abs(double(x));
   return std::abs(double(xr) - double(x)) <= bound * kSafety ? xr : x;
}

template <typename T>
T PredictAbs(T x, double bound)
{
   if (KeptExactly(x))
      return x;
   const double step = 2.0 * bound;
   const double codeLimit = sizeof(T) == 4 ? double(1ull << 30) : double(1ull << 52);
   const double q = std::round(double(x) / step);
   if (std::isnan(q) || std::abs(q) > codeLimit)
      return x;
   const T xr = T(double(static_cast<long long>(q)) * step);
   return std::abs(double(xr) - double(x)) <= bound * kSafety ? xr : x;
}

struct Tally {
   long long values = 0, codable = 0, changed = 0, bad = 0;
};

struct Checker {
   Spec spec;
   std::map<std::string, Tally> tallies;

   void Bad(Tally &t, const std::string &name, const std::string &what)
   {
      if (++t.bad <= 5)
         printf("nested_check: %s: %s\n", name.c_str(), what.c_str());
   }

   template <typename T>
   void Float(const std::string &name, T a, T b)
   {
      Tally &t = tallies[name];
      ++t.values;
      const bool same = BitsOf(a) == BitsOf(b);
      t.changed += !same;
      t.codable += !KeptExactly(a) && a != 0;
      bool ok;
      switch (spec.kind) {
      case Spec::kLossless: ok = same; break;
      case Spec::kBits: ok = BitsOf(b) == BitsOf(PredictBits(a, spec.bits)); break;
      case Spec::kAbs: ok = BitsOf(b) == BitsOf(PredictAbs(a, spec.bound)); break;
      case Spec::kRel:
         ok = same || (!KeptExactly(a) && std::isfinite(b) &&
                       std::abs(double(b) - double(a)) <= spec.bound * std::abs(double(a)));
         break;
      }
      if (!ok)
         Bad(t, name, std::to_string(double(a)) + " became " + std::to_string(double(b)));
   }

   template <typename T>
   void Exact(const std::string &name, T a, T b)
   {
      Tally &t = tallies[name];
      ++t.values;
      if (a != b) {
         ++t.changed;
         Bad(t, name, "differs");
      }
   }

   template <typename T>
   void Floats(const std::string &name, const std::vector<T> &a, const std::vector<T> &b)
   {
      Exact(name + ".size", a.size(), b.size());
      for (size_t j = 0; j < a.size() && j < b.size(); ++j) {
         if constexpr (std::is_floating_point_v<T>)
            Float(name, a[j], b[j]);
         else
            Exact(name, a[j], b[j]);
      }
   }

   template <typename T>
   void NestedVectors(const std::string &name, const Nested<T> &a, const Nested<T> &b)
   {
      Exact(name + ".outer", a.size(), b.size());
      for (size_t i = 0; i < a.size() && i < b.size(); ++i)
         Floats(name, a[i], b[i]);
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
   Checker check;
   if (!Spec::Parse(specText, check.spec)) {
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
      check.NestedVectors("vvf", *a.vvf, *b.vvf);
      check.NestedVectors("vvf0", *a.vvf0, *b.vvf0);
      check.NestedVectors("vvd", *a.vvd, *b.vvd);
      check.Float("ev.x", a.ev->x, b.ev->x);
      check.NestedVectors("ev.cov", a.ev->cov, b.ev->cov);
      check.NestedVectors("ev.covd", a.ev->covd, b.ev->covd);
      check.NestedVectors("ev.ids", a.ev->ids, b.ev->ids);
      check.Exact("tc", a.tc->GetEntriesFast(), b.tc->GetEntriesFast());
      for (int j = 0; j < a.tc->GetEntriesFast() && j < b.tc->GetEntriesFast(); ++j) {
         auto *ra = static_cast<NestedTrack *>(a.tc->At(j));
         auto *rb = static_cast<NestedTrack *>(b.tc->At(j));
         check.Float("tc.pt", ra->pt, rb->pt);
         check.NestedVectors("tc.cov", ra->cov, rb->cov);
         check.Floats("tc.vf", ra->vf, rb->vf);
      }
   }
   long long values = 0, bad = 0;
   for (auto &[name, t] : check.tallies) {
      printf("nested_check %s: %lld %lld %lld %lld\n", name.c_str(), t.values, t.codable, t.changed, t.bad);
      values += t.values;
      bad += t.bad;
   }
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
