// Baskets of a std::vector<std::vector<float>> branch whose headers lie (tests/test_nested_layouts.py).
//
//    nested_hostile(path, spec, lie)
//      writes tree "t" with one branch "vvf" (20 entries of 3 inner vectors of 4 floats, one basket),
//      then, before the basket is written, changes one header of entry 3 in the basket's buffer:
//        none        nothing (the control)
//        inner-size  an inner vector's size becomes larger than the record
//        inner-short an inner vector's size becomes one less (the values after it shift)
//        byte-count  the record's byte count becomes 4 larger
//        no-mask     the record's byte count loses kByteCountMask
//        memberwise  the record's version gets the member-wise flag
//      `spec` is "none" (uncompressed) or a Baler codec spec.
//    nested_hostile_bytes.C compares the baskets of two such files.
#include "Baler/Baler.h"

#include "TBasket.h"
#include "TBranch.h"
#include "TBuffer.h"
#include "TFile.h"
#include "TRandom3.h"
#include "TTree.h"

#include <cstring>
#include <string>
#include <vector>

int nested_hostile(const char *path, const char *spec, const char *lie)
{
   TFile file(path, "RECREATE");
   TTree tree("t", "hostile");
   std::vector<std::vector<float>> vvf;
   TBranch *branch = tree.Branch("vvf", &vvf);
   tree.SetAutoFlush(0);
   if (std::string(spec) == "none")
      file.SetCompressionSettings(0);
   else
      Baler::SetCodec(&tree, "*", Baler::Codec::Parse(spec));
   TRandom3 random(77);
   for (int entry = 0; entry < 20; ++entry) {
      vvf.assign(3, std::vector<float>(4));
      for (auto &inner : vvf)
         for (auto &v : inner)
            v = float(random.Gaus(0, 100));
      tree.Fill();
   }

   // Entry 3's record: byte count (4), version (2), outer size (4), first inner size (4), ...
   TBasket *basket = branch->GetBasket(0);
   unsigned char *record = reinterpret_cast<unsigned char *>(basket->GetBufferRef()->Buffer()) +
                           basket->GetEntryOffset()[3];
   auto put32 = [](unsigned char *at, unsigned value) {
      const unsigned char bytes[4] = {(unsigned char)(value >> 24), (unsigned char)(value >> 16),
                                      (unsigned char)(value >> 8), (unsigned char)value};
      std::memcpy(at, bytes, 4);
   };
   const std::string what = lie;
   if (what == "inner-size")
      put32(record + 10, 1000);
   else if (what == "inner-short")
      put32(record + 10, 3);
   else if (what == "byte-count")
      record[3] += 4;
   else if (what == "no-mask")
      record[0] &= ~0x40;
   else if (what == "memberwise")
      record[4] |= 0x40;
   else if (what != "none")
      return 1;
   tree.Write();
   printf("nested_hostile: wrote %s with %s\n", lie, spec);
   return 0;
}
