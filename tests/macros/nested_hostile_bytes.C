// nested_hostile_bytes(pathA, pathB): prints "nested_hostile: SAME" or "nested_hostile: DIFFERENT"
// for the decompressed bytes of the "vvf" baskets of two files written by nested_hostile.C. The
// entries are not read: their headers lie.
#include "TBasket.h"
#include "TBranch.h"
#include "TBuffer.h"
#include "TFile.h"
#include "TTree.h"

#include <cstring>
#include <memory>

int nested_hostile_bytes(const char *pathA, const char *pathB)
{
   std::unique_ptr<TFile> fa(TFile::Open(pathA)), fb(TFile::Open(pathB));
   auto *ta = fa ? fa->Get<TTree>("t") : nullptr;
   auto *tb = fb ? fb->Get<TTree>("t") : nullptr;
   if (!ta || !tb)
      return 1;
   TBasket *a = ta->GetBranch("vvf")->GetBasket(0);
   TBasket *b = tb->GetBranch("vvf")->GetBasket(0);
   if (!a || !b)
      return 2;
   const bool same = a->GetObjlen() == b->GetObjlen() && a->GetKeylen() == b->GetKeylen() &&
                     std::memcmp(a->GetBufferRef()->Buffer() + a->GetKeylen(),
                                 b->GetBufferRef()->Buffer() + b->GetKeylen(), a->GetObjlen()) == 0;
   printf("nested_hostile: %s\n", same ? "SAME" : "DIFFERENT");
   return 0;
}
