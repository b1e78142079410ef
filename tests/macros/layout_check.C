// Compares two files written by layout_trees.C (tree "t", same group):
//
//    layout_check(refPath, testPath, bits, cacheSize)  value by value: floats and doubles under
//      bits:N (baler_bounds.h; bits >= 99: lossless), everything else bit for bit. Prints per
//      branch "layout_check NAME: VALUES CHANGED MUST BAD UNROUNDED" and a summary
//      "layout_check: ENTRIES VALUES BAD" (BAD counts unrounded values too). With cacheSize > 0
//      the test file is read through a TTreeCache of that many bytes. Returns 0 when BAD is 0.
#include "baler_bounds.h"
#include "layout_trees.C"

namespace layout {

struct Checker {
   BalerTest::Spec spec;
   std::map<std::string, BalerTest::Tally> tallies;

   /// Float members Baler keeps exact (test_layouts.py's "exact" lists): those of unsplit
   /// branches (ev0, tc0, v30), stored whole, and of the split std::vector<TVector3> (v3).
   static bool KeptExact(const std::string &name)
   {
      for (const char *prefix : {"ev0.", "tc0.", "v30.", "v3."})
         if (name.rfind(prefix, 0) == 0)
            return true;
      return false;
   }

   template <typename T>
   void Float(const std::string &name, T a, T b)
   {
      const BalerTest::Spec lossless = BalerTest::Spec::Parse("lossless");
      if (!tallies[name].Add(KeptExact(name) ? lossless : spec, a, b) && tallies[name].bad + tallies[name].unrounded <= 5)
         printf("layout_check: %s: %.9g became %.9g\n", name.c_str(), double(a), double(b));
   }
   template <typename T>
   void Exact(const std::string &name, T a, T b)
   {
      if (!tallies[name].AddExact(&a, &b, sizeof(T)) && tallies[name].bad <= 5)
         printf("layout_check: %s differs\n", name.c_str());
   }
   template <typename V>
   void Floats(const std::string &name, const V &a, const V &b)
   {
      if (a.size() != b.size()) {
         ++tallies[name].bad;
         return;
      }
      for (size_t j = 0; j < a.size(); ++j)
         Float(name, a[j], b[j]);
   }
   template <typename V>
   void Exacts(const std::string &name, const V &a, const V &b)
   {
      if (a.size() != b.size()) {
         ++tallies[name].bad;
         return;
      }
      for (size_t j = 0; j < a.size(); ++j)
         Exact(name, a[j], b[j]);
   }
};

/// The values of one entry of every branch of a group, read through typed addresses.
struct Reader {
   TTree *tree;
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
   std::vector<float> *vf = nullptr, *vf0 = nullptr, *big = nullptr;
   std::vector<double> *vd = nullptr;
   std::vector<int> *vi = nullptr;
   ROOT::RVec<float> *rf = nullptr;
   ROOT::RVec<double> *rd = nullptr;
   ROOT::RVec<int> *ri = nullptr;
   LayoutEvent *ev = nullptr, *ev0 = nullptr;
   TClonesArray *tc = new TClonesArray("TVector3"), *tc0 = new TClonesArray("TVector3");
   std::vector<TVector3> *v3 = nullptr, *v30 = nullptr;

   explicit Reader(TTree *t) : tree(t)
   {
      auto set = [&](const char *name, void *address) {
         if (tree->GetBranch(name))
            tree->SetBranchAddress(name, address);
      };
      set("x", &x);
      set("d", &d);
      set("arr8", arr8);
      set("abc", a3);
      set("mixed", &mixed);
      set("mixf16", &mixf16);
      set("n", &n);
      set("vx", vx);
      set("i", &i);
      set("o", &o);
      set("c", &c);
      set("l", &l);
      set("f16", &f16);
      set("d32", &d32);
      set("d32r", &d32r);
      set("vf", &vf);
      set("vf0", &vf0);
      set("vd", &vd);
      set("vi", &vi);
      set("rf", &rf);
      set("rd", &rd);
      set("ri", &ri);
      set("ev", &ev);
      set("ev0", &ev0);
      set("tc", &tc);
      set("tc0", &tc0);
      set("v3", &v3);
      set("v30", &v30);
      set("big", &big);
   }
};

} // namespace layout

int layout_check(const char *refPath, const char *testPath, int bits, Long64_t cacheSize = 0)
{
   using namespace layout;
   std::unique_ptr<TFile> fa(TFile::Open(refPath)), fb(TFile::Open(testPath));
   if (!fa || !fb || fa->IsZombie() || fb->IsZombie())
      return 1;
   auto *ta = fa->Get<TTree>("t");
   auto *tb = fb->Get<TTree>("t");
   if (!ta || !tb)
      return 2;
   if (ta->GetEntries() != tb->GetEntries()) {
      printf("layout_check: entries differ: %lld vs %lld\n", ta->GetEntries(), tb->GetEntries());
      return 3;
   }
   if (cacheSize > 0) {
      tb->SetCacheSize(cacheSize);
      tb->AddBranchToCache("*", true);
   }
   Checker check{BalerTest::Spec::Parse(bits >= 99 ? "lossless" : "bits:" + std::to_string(bits)), {}};
   Reader a(ta), b(tb);
   for (Long64_t entry = 0; entry < ta->GetEntries(); ++entry) {
      if (ta->GetEntry(entry) <= 0 || tb->GetEntry(entry) <= 0) {
         printf("layout_check: entry %lld could not be read\n", entry);
         return 4;
      }
      const std::string group = ta->GetTitle();
      if (group == "leaf") {
         check.Float("x", a.x, b.x);
         check.Float("d", a.d, b.d);
         for (int j = 0; j < 8; ++j)
            check.Float("arr8", a.arr8[j], b.arr8[j]);
         for (int j = 0; j < 3; ++j)
            check.Float("abc", a.a3[j], b.a3[j]);
         check.Float("mixed.m", a.mixed.m, b.mixed.m);
         check.Exact("mixed.k", a.mixed.k, b.mixed.k);
         check.Exact("mixf16.m", a.mixf16.m, b.mixf16.m); // Float16_t in the list: all raw
         check.Exact("mixf16.h", a.mixf16.h, b.mixf16.h);
         check.Exact("n", a.n, b.n);
         for (int j = 0; j < a.n && j < 20; ++j)
            check.Float("vx", a.vx[j], b.vx[j]);
         check.Exact("i", a.i, b.i);
         check.Exact("o", a.o, b.o);
         check.Exact("c", a.c, b.c);
         check.Exact("l", a.l, b.l);
         check.Exact("f16", a.f16, b.f16);
         check.Exact("d32", a.d32, b.d32);
         check.Exact("d32r", a.d32r, b.d32r);
      }
      if (group == "vector") {
         check.Floats("vf", *a.vf, *b.vf);
         check.Floats("vf0", *a.vf0, *b.vf0);
         check.Floats("vd", *a.vd, *b.vd);
         check.Exacts("vi", *a.vi, *b.vi);
         check.Floats("rf", *a.rf, *b.rf);
         check.Floats("rd", *a.rd, *b.rd);
         check.Exacts("ri", *a.ri, *b.ri);
      }
      if (group == "class") {
         for (auto [name, ea, eb] : {std::make_tuple("ev", a.ev, b.ev), std::make_tuple("ev0", a.ev0, b.ev0)}) {
            const std::string p = std::string(name) + ".";
            check.Float(p + "x", ea->x, eb->x);
            check.Float(p + "dd", ea->dd, eb->dd);
            check.Exact(p + "i", ea->i, eb->i);
            check.Exact(p + "b", ea->b, eb->b);
            for (int j = 0; j < 3; ++j)
               check.Float(p + "arr", ea->arr[j], eb->arr[j]);
            check.Floats(p + "vf", ea->vf, eb->vf);
            check.Floats(p + "vd", ea->vd, eb->vd);
            check.Exacts(p + "vi", ea->vi, eb->vi);
            check.Exact(p + "d32", ea->d32, eb->d32);
            check.Exact(p + "f16", ea->f16, eb->f16);
            check.Exact(p + "d32f", ea->d32f, eb->d32f);
         }
      }
      if (group == "clones") {
         auto vec3 = [&](const std::string &name, const TVector3 &va, const TVector3 &vb) {
            check.Float(name + ".fX", va.X(), vb.X());
            check.Float(name + ".fY", va.Y(), vb.Y());
            check.Float(name + ".fZ", va.Z(), vb.Z());
            check.Exact(name + ".fBits", va.TestBits(~0u), vb.TestBits(~0u));
         };
         for (auto [name, ca, cb] : {std::make_tuple("tc", a.tc, b.tc), std::make_tuple("tc0", a.tc0, b.tc0)}) {
            check.Exact(std::string(name), ca->GetEntriesFast(), cb->GetEntriesFast());
            for (int j = 0; j < ca->GetEntriesFast() && j < cb->GetEntriesFast(); ++j)
               vec3(name, *static_cast<TVector3 *>(ca->At(j)), *static_cast<TVector3 *>(cb->At(j)));
         }
         for (auto [name, va, vb] : {std::make_tuple("v3", a.v3, b.v3), std::make_tuple("v30", a.v30, b.v30)}) {
            check.Exact(std::string(name), va->size(), vb->size());
            for (size_t j = 0; j < va->size() && j < vb->size(); ++j)
               vec3(name, (*va)[j], (*vb)[j]);
         }
      }
      if (group == "big") {
         check.Floats("big", *a.big, *b.big);
         check.Exact("n", a.n, b.n);
      }
   }
   if (std::string(ta->GetTitle()) == "big") {
      // Baskets over 16 MiB are compressed as several blocks: show that this one is.
      TBranch *big = tb->GetBranch("big");
      printf("layout_check big baskets: %d %lld\n", big->GetWriteBasket(), big->GetTotBytes());
   }
   BalerTest::Tally total;
   for (auto &[name, t] : check.tallies) {
      printf("layout_check %s: %s\n", name.c_str(), t.Numbers().c_str());
      total.Merge(t);
   }
   const long long bad = total.bad + total.unrounded;
   printf("layout_check: %lld %lld %lld\n", ta->GetEntries(), total.values, bad);
   return bad == 0 ? 0 : 5;
}
