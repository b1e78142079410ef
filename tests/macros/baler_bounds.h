// The one bound checker of the test macros: what a Baler spec allows a decoded value to be.
// Its twin for Python is tests/bounds.py and for Rust baler_codec::f32_within_spec; the three
// agree on the cases of tests/test_bounds.py.
//
// Under every spec NaN (with its payload), ±Inf, zeros of either sign and subnormals come back
// bit for bit. Any other (normal) value x, decoded as y:
//    lossless  y == x bit for bit
//    bits:N    |y-x| <= 2^-(N+1)|x|, and y is x rounded to N mantissa bits: a value with more
//              than N mantissa bits MUST change, one with N or fewer must not (unless rounding
//              would overflow to Inf, where x is kept), and a sentinel may stay: a value that
//              came back exactly at its own position, when the values that came back so with its
//              bit pattern split into groups as the writer's sentinel tables would keep them
//              (docs/format.md: a sentinel makes up at least 1/64 of its block's values, occurs
//              twice, and all of its values in that block come back exactly), each group of
//              such values with none of that pattern rounded between them, at least 2 of them,
//              and at least 1/64 of the values the Tally saw from the group's first to its last.
//              A value repeated a few times among many and left unrounded is UNROUNDED.
//    rel:E     |y-x| <= E|x|
//    abs:E     |y-x| <= E
// A bare number E is read as rel:E.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>
#include <string>
#include <type_traits>

namespace BalerTest {

struct Spec {
   enum Kind { kLossless, kBits, kRel, kAbs, kInvalid } kind = kLossless;
   int bits = 0;    // bits:N
   double bound = 0; // rel:E or abs:E

   static Spec Parse(const std::string &text)
   {
      auto number = [](const std::string &s, double &value) {
         char *end = nullptr;
         value = std::strtod(s.c_str(), &end);
         return !s.empty() && end == s.c_str() + s.size();
      };
      Spec spec;
      double value = 0;
      if (text == "lossless")
         return spec;
      if (text.rfind("bits:", 0) == 0 && number(text.substr(5), value) && value >= 1 && value <= 52 &&
          value == std::floor(value)) {
         spec.kind = kBits;
         spec.bits = int(value);
      } else if (text.rfind("rel:", 0) == 0 && number(text.substr(4), value) && value > 0 && value < 1) {
         spec.kind = kRel;
         spec.bound = value;
      } else if (text.rfind("abs:", 0) == 0 && number(text.substr(4), value) && value > 0) {
         spec.kind = kAbs;
         spec.bound = value;
      } else if (number(text, value) && value >= 0 && value < 1) {
         spec.kind = value == 0 ? kLossless : kRel;
         spec.bound = value;
      } else {
         spec.kind = kInvalid;
      }
      return spec;
   }
};

template <typename T>
struct FloatBits {
   static_assert(std::is_same<T, float>::value || std::is_same<T, double>::value, "float or double");
   using U = typename std::conditional<sizeof(T) == 4, std::uint32_t, std::uint64_t>::type;
   static constexpr int kMantissa = sizeof(T) == 4 ? 23 : 52;
   static U Of(T x)
   {
      U u;
      std::memcpy(&u, &x, sizeof u);
      return u;
   }
};

template <typename T>
bool SameBits(T x, T y)
{
   return FloatBits<T>::Of(x) == FloatBits<T>::Of(y);
}

/// Whether y is an allowed decoded value of x under spec (the bound; see MustRound for bits:N).
template <typename T>
bool WithinSpec(const Spec &spec, T x, T y)
{
   if (SameBits(x, y))
      return true;
   if (std::fpclassify(x) != FP_NORMAL)
      return false;
   double bound = 0;
   switch (spec.kind) {
   case Spec::kBits: bound = std::ldexp(std::fabs(double(x)), -(spec.bits + 1)); break;
   case Spec::kRel: bound = spec.bound * std::fabs(double(x)); break;
   case Spec::kAbs: bound = spec.bound; break;
   default: return false;
   }
   return std::fabs(double(y) - double(x)) <= bound; // false for a NaN or infinite y
}

/// Whether v has mantissa bits below the top n.
template <typename T>
bool HasMoreThanBits(T v, int n)
{
   using B = FloatBits<T>;
   const typename B::U low = (typename B::U(1) << (B::kMantissa - n)) - 1;
   return (B::Of(v) & low) != 0;
}

/// Whether bits:N must round x: x is normal and its rounding to N bits stays finite.
template <typename T>
bool MustRound(const Spec &spec, T x)
{
   using B = FloatBits<T>;
   if (spec.kind != Spec::kBits || spec.bits >= B::kMantissa || std::fpclassify(x) != FP_NORMAL)
      return false;
   const int shift = B::kMantissa - spec.bits;
   const typename B::U magnitude = B::Of(std::fabs(x));
   const typename B::U rounded = ((magnitude + (typename B::U(1) << (shift - 1))) >> shift) << shift;
   const typename B::U exponentMask = (~typename B::U(0) >> 1) & ~((typename B::U(1) << B::kMantissa) - 1);
   return (rounded & exponentMask) != exponentMask;
}

/// Whether the spec requires x to come back different: bits:N and more than N mantissa bits.
template <typename T>
bool MustChange(const Spec &spec, T x)
{
   return MustRound(spec, x) && HasMoreThanBits(x, spec.bits);
}

/// Whether bits:N had to round x but y still has more than N mantissa bits (stored raw).
template <typename T>
bool Unrounded(const Spec &spec, T x, T y)
{
   return MustRound(spec, x) && HasMoreThanBits(y, spec.bits);
}

/// A sentinel of a block makes up at least 1/kSentinelShare of its values (docs/format.md).
constexpr long long kSentinelShare = 64;

/// Whether the positions `q` (increasing value numbers of one Tally) at which one bit pattern came
/// back exactly can be the sentinel values of whole blocks: split into groups of consecutive
/// positions, each of at least 2 and at least 1/64 of the values it spans (a block where the
/// pattern is a sentinel gives such a group).
inline bool SentinelGroups(const std::vector<long long> &q)
{
   const long long m = q.size();
   if (m < 2)
      return false;
   if (q[m - 1] - q[0] + 1 <= kSentinelShare * m)
      return true;
   std::vector<char> ok(m + 1, 0); // ok[j]: q[0..j) splits so
   ok[0] = 1;
   for (long long j = 2; j <= m; ++j)
      for (long long i = 0; i + 2 <= j && !ok[j]; ++i)
         ok[j] = ok[i] && q[j - 1] - q[i] + 1 <= kSentinelShare * (j - i);
   return ok[m];
}

/// Per-branch counts: VALUES, CHANGED (y differs from x), MUST (values the spec requires to
/// change), BAD (outside the bound, or not bit-exact where nothing may change) and UNROUNDED
/// (bits:N values that came back with more than N mantissa bits: stored raw, not rounded). A
/// sentinel (see the top) is neither in MUST nor UNROUNDED. Values that bits:N had to change and
/// that came back exactly are judged once all are in: Numbers() and Merge() do, before which MUST
/// and UNROUNDED leave them out. One Tally sees the values of one branch, in order.
struct Tally {
   using Key = std::pair<std::size_t, unsigned long long>;
   mutable long long values = 0, changed = 0, must = 0, bad = 0, unrounded = 0;
   /// For each bit pattern that bits:N had to change and that came back exactly: the value
   /// numbers where it did, and -1 where it came back changed after that (not yet judged).
   mutable std::map<Key, std::vector<long long>> kept;

   /// Adds one float or double value; returns false when it is BAD or UNROUNDED (a value kept
   /// exactly is judged later, with the others of its pattern: true).
   template <typename T>
   bool Add(const Spec &spec, T x, T y)
   {
      const long long at = values++;
      changed += !SameBits(x, y);
      const bool mustChange = MustChange(spec, x);
      if (mustChange) {
         const Key key{sizeof(T), static_cast<unsigned long long>(FloatBits<T>::Of(x))};
         if (SameBits(x, y)) {
            kept[key].push_back(at);
            return true;
         }
         const auto it = kept.find(key);
         if (it != kept.end() && it->second.back() != -1)
            it->second.push_back(-1); // rounded here: no block keeps it as a sentinel across this
      }
      must += mustChange;
      const bool bad_ = !WithinSpec(spec, x, y);
      const bool unrounded_ = !bad_ && Unrounded(spec, x, y);
      bad += bad_;
      unrounded += unrounded_;
      return !bad_ && !unrounded_;
   }
   /// Judges the values kept exactly: those that cannot be sentinels are MUST and UNROUNDED.
   void Resolve() const
   {
      for (const auto &[key, positions] : kept) {
         std::vector<long long> run;
         for (size_t i = 0; i <= positions.size(); ++i) {
            if (i < positions.size() && positions[i] != -1) {
               run.push_back(positions[i]);
               continue;
            }
            if (!SentinelGroups(run)) {
               must += run.size();
               unrounded += run.size();
            }
            run.clear();
         }
      }
      kept.clear();
   }
   /// Adds one value that must come back byte for byte (`size` bytes at a and b).
   bool AddExact(const void *a, const void *b, std::size_t size)
   {
      ++values;
      const bool same = std::memcmp(a, b, size) == 0;
      changed += !same;
      bad += !same;
      return same;
   }
   void Merge(const Tally &other)
   {
      other.Resolve();
      values += other.values;
      changed += other.changed;
      must += other.must;
      bad += other.bad;
      unrounded += other.unrounded;
   }
   /// "VALUES CHANGED MUST BAD UNROUNDED", the numbers tests/conftest.py's Tally reads.
   std::string Numbers() const
   {
      Resolve();
      return std::to_string(values) + " " + std::to_string(changed) + " " + std::to_string(must) + " " +
             std::to_string(bad) + " " + std::to_string(unrounded);
   }
};

} // namespace BalerTest
