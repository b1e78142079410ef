#include "BasketLayout.h"

#include "layout/ElementLayout.h"
#include "layout/LayoutRuns.h"
#include "layout/LeafLayout.h"

#include "TBasket.h"
#include "TBranch.h"
#include "TBranchElement.h"
#include "TBuffer.h"
#include "TLeaf.h"
#include "TObjArray.h"

#include <algorithm>

namespace Baler::Internal {

using baler::codec::Layout;
using baler::codec::Segment;
using baler::codec::SegmentKind;

namespace {
bool IsCodableDouble(const TString &type)
{
   return type == "Double_t" || type.Contains("double");
}
bool IsCodableFloat(const TString &type)
{
   return type == "Float_t" || type.Contains("float");
}
} // namespace

bool HasCodableFloatLeaf(TBranch &branch)
{
   for (auto *leaf : TRangeDynCast<TLeaf>(branch.GetListOfLeaves())) {
      const TString type = leaf->GetTypeName();
      if (IsCodableFloat(type) || IsCodableDouble(type))
         return true;
   }
   return false;
}

bool HasOnlySinglePrecisionFloats(TBranch &branch)
{
   bool single = false;
   for (auto *leaf : TRangeDynCast<TLeaf>(branch.GetListOfLeaves())) {
      const TString type = leaf->GetTypeName();
      if (IsCodableDouble(type))
         return false;
      single = single || IsCodableFloat(type);
   }
   return single;
}

Layout DescribeBasket(const TBasket &basket)
{
   auto &mutableBasket = const_cast<TBasket &>(basket);
   const std::size_t objLen = basket.GetObjlen();
   const std::size_t keyLen = basket.GetKeylen();
   const std::size_t last = basket.GetLast();
   const std::size_t dataLen = last >= keyLen ? std::min(last - keyLen, objLen) : objLen;
   const TBranch *branch = mutableBasket.GetBranch();
   TBuffer *buffer = mutableBasket.GetBufferRef();

   Layout layout;
   bool described = false;
   if (branch && buffer && std::size_t(buffer->BufferSize()) >= keyLen + objLen) {
      const BasketData data{reinterpret_cast<const unsigned char *>(buffer->Buffer()) + keyLen, dataLen,
                            basket.GetNevBuf(), mutableBasket.GetEntryOffset(), keyLen};
      if (branch->IsA() == TBranch::Class())
         described = DescribeLeafData(*branch, data, layout);
      else if (branch->IsA() == TBranchElement::Class())
         described = DescribeElementData(static_cast<const TBranchElement &>(*branch), data, layout);
   }
   if (!described) {
      layout.clear();
      Append(layout, SegmentKind::Raw, dataLen);
   }

   // After fLast: the entry-offset table (and displacements), each an Int_t count then values.
   const std::size_t tailLen = objLen - dataLen;
   Append(layout, tailLen % 4 == 0 ? SegmentKind::I32 : SegmentKind::Raw, tailLen);
   return layout;
}

Layout SliceLayout(const Layout &layout, std::size_t begin, std::size_t end)
{
   Layout slice;
   std::size_t segmentStart = 0;
   for (const auto &segment : layout) {
      const std::size_t segmentEnd = segmentStart + segment.len;
      const std::size_t from = std::max(begin, segmentStart);
      const std::size_t to = std::min(end, segmentEnd);
      if (from < to) {
         const std::size_t size = ElementSize(segment.kind);
         // Whole elements stay typed; bytes of elements cut by the slice become raw.
         std::size_t firstWhole = segmentStart + (from - segmentStart + size - 1) / size * size;
         std::size_t lastWhole = segmentStart + (to - segmentStart) / size * size;
         if (firstWhole >= lastWhole) {
            Append(slice, SegmentKind::Raw, to - from);
         } else {
            Append(slice, SegmentKind::Raw, firstWhole - from);
            Append(slice, segment.kind, lastWhole - firstWhole);
            Append(slice, SegmentKind::Raw, to - lastWhole);
         }
      }
      segmentStart = segmentEnd;
   }
   return slice;
}

} // namespace Baler::Internal
