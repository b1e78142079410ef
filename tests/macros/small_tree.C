// Writes a deterministic tree of a float branch x/F, a double branch d/D and an int n/I under
// ZSTD-505, at `treePath` ("Events", or "sub/Events" for a tree in a subdirectory). Every 50th
// value of x and d is one a codec must keep exactly: NaN with a payload, -Inf, -0.0, a subnormal.
// Run it with LD_PRELOAD and BALER_POLICY to see a policy applied. Prints "small_tree: ENTRIES".
#include "TFile.h"
#include "TRandom3.h"
#include "TTree.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

namespace {

template <typename T, typename U>
T FromBits(U bits)
{
   T value;
   std::memcpy(&value, &bits, sizeof value);
   return value;
}

} // namespace

int small_tree(const char *path, const char *treePath, int entries)
{
   TFile file(path, "RECREATE", "", 505);
   std::string name = treePath;
   TDirectory *directory = &file;
   if (const auto slash = name.rfind('/'); slash != std::string::npos) {
      directory = file.mkdir(name.substr(0, slash).c_str());
      name = name.substr(slash + 1);
   }
   directory->cd();
   TTree tree(name.c_str(), "small_tree.C");
   Float_t x = 0;
   Double_t d = 0;
   Int_t n = 0;
   tree.Branch("x", &x, "x/F");
   tree.Branch("d", &d, "d/D");
   tree.Branch("n", &n, "n/I");
   TRandom3 random(31);
   for (int entry = 0; entry < entries; ++entry) {
      x = float(random.Gaus(0, 30));
      d = random.Gaus(100, 1000);
      n = int(random.Integer(1000));
      switch (entry % 200) {
      case 50: x = FromBits<float>(std::uint32_t(0x7fc01234)); d = FromBits<double>(std::uint64_t(0x7ff80000deadbeefull)); break;
      case 100: x = -std::numeric_limits<float>::infinity(); d = -0.0; break;
      case 150: x = std::numeric_limits<float>::denorm_min() * 3; d = std::numeric_limits<double>::denorm_min() * 5; break;
      }
      tree.Fill();
   }
   tree.Write(); // flushes every basket first (TDirectory::WriteTObject would keep the last ones in the key)
   printf("small_tree: %lld\n", tree.GetEntries());
   return 0;
}
