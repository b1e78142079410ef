// Trees with every branch layout Baler's basket layouts must know (tests/test_layouts.py).
//
//    layout_trees(path, setting, group, entries, basketSize)  writes tree "t" of one group:
//      leaf    plain TBranch leaves: x/F, d/D, arr8[8]/F, a:b:c/F, m/F:k/I, m/F:h/f, n/I + vx[n]/F,
//              i/I, o/O, c/B, l/L, Float16_t, Double32_t (with and without range)
//      vector  std::vector<float|double|int> (split 99 and 0) and ROOT::RVec<float|double|int>
//      class   a class with float/double/int/bool members, float arr[3], vector<float|double|int>,
//              Double32_t/Float16_t members, split (99) and unsplit (0)
//      clones  members of objects in split collections: TClonesArray of TVector3 and
//              std::vector<TVector3>, split 99, and the same unsplit
//      big     one branch with 2 MiB of floats per entry and a basket over 16 MiB
//    layout_check.C compares two such files.
#include "Baler/Baler.h"

#include "ROOT/RVec.hxx"
#include "TFile.h"
#include "TClonesArray.h"
#include "TRandom3.h"
#include "TVector3.h"
#include "TTree.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

class LayoutEvent {
public:
   float x = 0;
   double dd = 0;
   int i = 0;
   bool b = false;
   float arr[3] = {0, 0, 0};
   std::vector<float> vf;
   std::vector<double> vd;
   std::vector<int> vi;
   Double32_t d32 = 0; //[0,100,12]
   Float16_t f16 = 0;  //[0,0,10]
   Double32_t d32f = 0;
   virtual ~LayoutEvent() = default;
   ClassDef(LayoutEvent, 1)
};

namespace layout {

/// Floats with the values a codec must keep exactly mixed in now and then.
float Value(TRandom3 &random, int k)
{
   switch (k % 53) {
   case 7: return std::numeric_limits<float>::quiet_NaN();
   case 13: return -std::numeric_limits<float>::infinity();
   case 19: return -0.0f;
   case 23: return std::numeric_limits<float>::denorm_min() * 37;
   case 29: return 0.0f;
   default: return float(random.Gaus(0, 50) * std::exp(random.Uniform(-8, 8)));
   }
}

double DValue(TRandom3 &random, int k)
{
   switch (k % 47) {
   case 5: return std::numeric_limits<double>::quiet_NaN();
   case 11: return std::numeric_limits<double>::infinity();
   case 17: return -0.0;
   case 31: return std::numeric_limits<double>::denorm_min() * 12345;
   default: return random.Gaus(0, 50) * std::exp(random.Uniform(-20, 20));
   }
}

} // namespace layout

int layout_trees(const char *path, int setting, const char *group, int entries, int basketSize = 32000)
{
   using namespace layout;
   TFile file(path, "RECREATE");
   file.SetCompressionSettings(setting);
   TTree tree("t", group);
   TRandom3 random(4242);
   const std::string g = group;

   // leaf
   Float_t x = 0, arr8[8], a3[3], vx[20];
   Double_t d = 0;
   struct {
      Float_t m;
      Int_t k;
   } mixed;
   struct {
      Float_t m;
      Float16_t h;
   } mixf16;
   Int_t n = 0, i = 0;
   Bool_t o = false;
   Char_t c = 0;
   Long64_t l = 0;
   Float16_t f16 = 0;
   Double32_t d32 = 0, d32r = 0;
   // vector
   std::vector<float> vf, vf0;
   std::vector<double> vd;
   std::vector<int> vi;
   ROOT::RVec<float> rf;
   ROOT::RVec<double> rd;
   ROOT::RVec<int> ri;
   // class
   auto *ev = new LayoutEvent;
   auto *ev0 = new LayoutEvent;
   auto *clones = new TClonesArray("TVector3");
   auto *clones0 = new TClonesArray("TVector3");
   auto *v3 = new std::vector<TVector3>;
   auto *v30 = new std::vector<TVector3>;
   // big
   std::vector<float> big(1 << 19);

   if (g == "leaf") {
      tree.Branch("x", &x, "x/F");
      tree.Branch("d", &d, "d/D");
      tree.Branch("arr8", arr8, "arr8[8]/F");
      tree.Branch("abc", a3, "a:b:c/F");
      tree.Branch("mixed", &mixed, "m/F:k/I");
      tree.Branch("mixf16", &mixf16, "m/F:h/f");
      tree.Branch("n", &n, "n/I");
      tree.Branch("vx", vx, "vx[n]/F");
      tree.Branch("i", &i, "i/I");
      tree.Branch("o", &o, "o/O");
      tree.Branch("c", &c, "c/B");
      tree.Branch("l", &l, "l/L");
      tree.Branch("f16", &f16, "f16/f");
      tree.Branch("d32", &d32, "d32/d");
      tree.Branch("d32r", &d32r, "d32r/d[0,100,12]");
   } else if (g == "vector") {
      tree.Branch("vf", &vf);
      tree.Branch("vf0", &vf0, 32000, 0);
      tree.Branch("vd", &vd);
      tree.Branch("vi", &vi);
      tree.Branch("rf", &rf);
      tree.Branch("rd", &rd);
      tree.Branch("ri", &ri);
   } else if (g == "class") {
      tree.Branch("ev", &ev, 32000, 99);
      tree.Branch("ev0", &ev0, 32000, 0);
   } else if (g == "clones") {
      tree.Branch("tc", &clones, 32000, 99);
      tree.Branch("tc0", &clones0, 32000, 0);
      tree.Branch("v3", &v3, 32000, 99);
      tree.Branch("v30", &v30, 32000, 0);
   } else if (g == "big") {
      tree.Branch("big", &big);
      tree.Branch("n", &n, "n/I");
   } else {
      printf("layout_trees: unknown group %s\n", group);
      return 1;
   }
   if (basketSize > 0)
      for (auto *branch : TRangeDynCast<TBranch>(tree.GetListOfBranches()))
         branch->SetBasketSize(basketSize);
   if (g == "big")
      tree.SetAutoFlush(0);

   int k = 0;
   for (int entry = 0; entry < entries; ++entry) {
      x = Value(random, k++);
      d = DValue(random, k++);
      for (auto &v : arr8)
         v = Value(random, k++);
      for (auto &v : a3)
         v = Value(random, k++);
      mixed.m = Value(random, k++);
      mixed.k = int(random.Integer(1u << 31)) - (1 << 30);
      mixf16.m = Value(random, k++);
      mixf16.h = Value(random, k++);
      n = int(random.Integer(21));
      for (int j = 0; j < n; ++j)
         vx[j] = Value(random, k++);
      i = int(random.Integer(1000)) - 500;
      o = random.Rndm() < 0.5;
      c = char(random.Integer(256));
      l = (Long64_t(random.Integer(1u << 31)) << 31) + random.Integer(1000);
      f16 = Value(random, k++);
      d32 = DValue(random, k++);
      d32r = random.Uniform(0, 100);

      auto fill = [&](auto &vec, auto gen, int maxSize) {
         vec.clear();
         const int size = int(random.Integer(maxSize + 1));
         for (int j = 0; j < size; ++j)
            vec.push_back(gen());
      };
      auto fgen = [&] { return Value(random, k++); };
      auto dgen = [&] { return DValue(random, k++); };
      auto igen = [&] { return int(random.Integer(100000)) - 50000; };
      fill(vf, fgen, 12);
      fill(vf0, fgen, 12);
      fill(vd, dgen, 12);
      fill(vi, igen, 12);
      fill(rf, fgen, 12);
      fill(rd, dgen, 12);
      fill(ri, igen, 12);

      for (auto *e : {ev, ev0}) {
         e->x = Value(random, k++);
         e->dd = DValue(random, k++);
         e->i = igen();
         e->b = random.Rndm() < 0.5;
         for (auto &v : e->arr)
            v = Value(random, k++);
         fill(e->vf, fgen, 12);
         fill(e->vd, dgen, 12);
         fill(e->vi, igen, 12);
         e->d32 = random.Uniform(0, 100);
         e->f16 = Value(random, k++);
         e->d32f = DValue(random, k++);
      }
      for (auto *array : {clones, clones0}) {
         array->Clear();
         const int size = int(random.Integer(8));
         for (int j = 0; j < size; ++j) {
            const double vx = DValue(random, k++), vy = DValue(random, k++), vz = DValue(random, k++);
            new ((*array)[j]) TVector3(vx, vy, vz);
         }
      }
      for (auto *vec : {v3, v30}) {
         vec->resize(random.Integer(8));
         for (auto &v : *vec) {
            const double vx = DValue(random, k++), vy = DValue(random, k++), vz = DValue(random, k++);
            v.SetXYZ(vx, vy, vz);
         }
      }
      if (g == "big")
         for (auto &v : big)
            v = Value(random, k++);
      tree.Fill();
   }
   tree.Write();
   printf("layout_trees: %s %lld entries\n", group, tree.GetEntries());
   delete ev;
   delete ev0;
   delete clones;
   delete clones0;
   delete v3;
   delete v30;
   return 0;
}

