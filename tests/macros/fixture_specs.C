// Writes tree "t" of tests/fixtures/v1/specs.root (tests/tools/make_fixtures.py): every codec spec on
// a float and a double branch, and an `ae:` branch coded through a model, so that the committed file
// holds a block of every kind today's writer produces.
//
//    fixture_specs(path, modelPath, rowsPath)
//      f_<spec>/F and d_<spec>/D for lossless, bits:10, rel:1e-3 and abs:1e-3 (Baler::SetCodec),
//      value i = FixtureValue(i) (below: one correctly rounded division, so tests/test_fixtures.py
//      recomputes it exactly), with NaN (with payload), +-Inf, -0.0, a subnormal and the largest
//      finite value at fixed entries; n/I = i; cov[6]/F holds the big-endian rows of `rowsPath`
//      (the codec's ae fixture: rows the model at `modelPath` predicts) with other low mantissa
//      bits (RowsToRound), ae:bits:10:<modelPath>,
//      and cov_lossless[6]/F the same rows, lossless (what the ae: values are judged against).
//      Prints "fixture_specs: ENTRIES entries" and returns 0.
#include "Baler/Baler.h"

#include "TFile.h"
#include "TTree.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace fixture {

constexpr int kRowWidth = 6;

/// A NaN with a payload: its bits must come back exactly too.
template <typename T>
T PayloadNaN()
{
   using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
   const Bits bits = sizeof(T) == 4 ? Bits(0x7fc01234u) : Bits(0x7ff8000000001234ull);
   T value;
   std::memcpy(&value, &bits, sizeof value);
   return value;
}

/// Entry i's value before coding; specials at entries 0..5 (test_fixtures.py's `original`).
template <typename T>
T FixtureValue(int i)
{
   switch (i) {
   case 0: return PayloadNaN<T>();
   case 1: return std::numeric_limits<T>::infinity();
   case 2: return -std::numeric_limits<T>::infinity();
   case 3: return -T(0);
   case 4: return std::numeric_limits<T>::denorm_min() * 3;
   case 5: return std::numeric_limits<T>::max();
   default: return static_cast<T>(static_cast<double>((i * 7919) % 100003 - 50000) / 37.0);
   }
}

/// The big-endian floats of `path`. The codec's fixture holds values it decoded at bits:10, which
/// the writer would store exactly (they already fit that grid): below the 10 kept mantissa bits
/// and the rounding bit, each nonzero value gets other low bits, so that bits:10 has to round it.
std::vector<float> RowsToRound(const char *path)
{
   std::ifstream in(path, std::ios::binary);
   const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
   std::vector<float> values(bytes.size() / 4);
   for (std::size_t i = 0; i < values.size(); ++i) {
      std::uint32_t bits = 0;
      for (int b = 0; b < 4; ++b)
         bits = (bits << 8) | static_cast<unsigned char>(bytes[4 * i + b]);
      if (bits & 0x7fffffffu)
         bits ^= (static_cast<std::uint32_t>(i) * 2654435761u >> 20) & 0xfffu;
      std::memcpy(&values[i], &bits, sizeof bits);
   }
   return values;
}

} // namespace fixture

int fixture_specs(const char *path, const char *modelPath, const char *rowsPath)
{
   using namespace fixture;
   const std::vector<float> rows = RowsToRound(rowsPath);
   const int entries = static_cast<int>(rows.size() / kRowWidth);
   const char *names[] = {"lossless", "bits10", "rel1e-3", "abs1e-3"};
   const char *specs[] = {"lossless", "bits:10", "rel:1e-3", "abs:1e-3"};

   TFile file(path, "RECREATE", "baler-root old-file fixture: every spec", 505);
   TTree tree("t", "every Baler spec");
   float f = 0, cov[kRowWidth] = {};
   double d = 0;
   int n = 0;
   for (int s = 0; s < 4; ++s) {
      // Every f_ branch reads the same float, every d_ branch the same double.
      tree.Branch((std::string("f_") + names[s]).c_str(), &f, (std::string("f_") + names[s] + "/F").c_str());
      tree.Branch((std::string("d_") + names[s]).c_str(), &d, (std::string("d_") + names[s] + "/D").c_str());
      Baler::SetCodec(&tree, (std::string("[fd]_") + names[s]).c_str(), Baler::Codec::Parse(specs[s]));
   }
   tree.Branch("n", &n, "n/I");
   tree.Branch("cov", cov, "cov[6]/F");
   tree.Branch("cov_lossless", cov, "cov_lossless[6]/F");
   Baler::SetCodec(&tree, "cov", Baler::Codec::Parse(std::string("ae:bits:10:") + modelPath));
   Baler::SetCodec(&tree, "cov_lossless", Baler::Codec::Parse("lossless"));
   for (int i = 0; i < entries; ++i) {
      f = FixtureValue<float>(i);
      d = FixtureValue<double>(i);
      n = i;
      std::memcpy(cov, &rows[kRowWidth * i], sizeof cov);
      tree.Fill();
   }
   tree.Write();
   std::printf("fixture_specs: %d entries\n", entries);
   return 0;
}
