// Runs baler_bounds.h over a table of cases, one per line of `path`: "SPEC TYPE XBITS YBITS" with
// TYPE f32 or f64 and the values as hexadecimal bit patterns. Prints, per case,
// "bounds_cases: WITHIN MUST_CHANGE UNROUNDED" (0 or 1 each), for tests/test_bounds.py.
#include "baler_bounds.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace {

template <typename T, typename U>
void Verdict(const BalerTest::Spec &spec, U xBits, U yBits)
{
   T x, y;
   std::memcpy(&x, &xBits, sizeof x);
   std::memcpy(&y, &yBits, sizeof y);
   printf("bounds_cases: %d %d %d\n", BalerTest::WithinSpec(spec, x, y), BalerTest::MustChange(spec, x),
          BalerTest::Unrounded(spec, x, y));
}

} // namespace

int bounds_cases(const char *path)
{
   std::ifstream in(path);
   std::string spec, type, x, y;
   int cases = 0;
   while (in >> spec >> type >> x >> y) {
      const BalerTest::Spec parsed = BalerTest::Spec::Parse(spec);
      if (parsed.kind == BalerTest::Spec::kInvalid) {
         printf("bounds_cases: bad spec %s\n", spec.c_str());
         return 1;
      }
      if (type == "f32")
         Verdict<float, std::uint32_t>(parsed, std::stoul(x, nullptr, 16), std::stoul(y, nullptr, 16));
      else
         Verdict<double, std::uint64_t>(parsed, std::stoull(x, nullptr, 16), std::stoull(y, nullptr, 16));
      ++cases;
   }
   printf("bounds_cases: %d cases\n", cases);
   return 0;
}
