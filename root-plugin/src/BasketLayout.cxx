#include "BasketLayout.h"

#include "TBasket.h"
#include "TBranch.h"
#include "TBranchElement.h"
#include "TLeaf.h"
#include "TLeafD.h"
#include "TLeafF.h"
#include "TLeafI.h"
#include "TObjArray.h"

#include <algorithm>

namespace Baler::Internal {

using baler::codec::Layout;
using baler::codec::Segment;
using baler::codec::SegmentKind;

namespace {

std::size_t ElementSize(SegmentKind kind)
{
   switch (kind) {
   case SegmentKind::F32:
   case SegmentKind::I32: return 4;
   case SegmentKind::F64: return 8;
   case SegmentKind::Raw: return 1;
   }
   return 1;
}

/// Appends a run, merging it into the previous one when both have the same kind.
void Append(Layout &layout, SegmentKind kind, std::size_t len)
{
   if (len == 0)
      return;
   if (!layout.empty() && layout.back().kind == kind)
      layout.back().len += static_cast<std::uint32_t>(len);
   else
      layout.push_back({kind, static_cast<std::uint32_t>(len)});
}

/// How the values of one leaf are coded. Float16_t/Double32_t leaves (TLeafF16/TLeafD32) are
/// already reduced by ROOT and are kept exactly as ROOT wrote them, so they count as raw.
SegmentKind KindOfLeaf(const TLeaf &leaf)
{
   if (leaf.IsA() == TLeafF::Class())
      return SegmentKind::F32;
   if (leaf.IsA() == TLeafD::Class())
      return SegmentKind::F64;
   if (leaf.IsA() == TLeafI::Class())
      return SegmentKind::I32;
   return SegmentKind::Raw;
}

/// Entry data of a plain TBranch (leaf or leaf list). Returns false when the layout is not one
/// we can describe value by value (then the caller treats the data as raw bytes).
bool DescribeLeafData(const TBranch &branch, std::size_t dataLen, Layout &layout)
{
   const TObjArray *leaves = const_cast<TBranch &>(branch).GetListOfLeaves();
   const int nLeaves = leaves ? leaves->GetEntriesFast() : 0;
   if (nLeaves == 0)
      return false;
   if (nLeaves == 1) {
      // One leaf, scalar, fixed or variable array: the data is a plain sequence of its values.
      auto *leaf = static_cast<const TLeaf *>(leaves->UncheckedAt(0));
      const SegmentKind kind = KindOfLeaf(*leaf);
      if (dataLen % ElementSize(kind) != 0)
         return false;
      Append(layout, kind, dataLen);
      return true;
   }
   // A leaf list: per entry, each leaf's values in turn. Only fixed-size leaves repeat regularly.
   Layout entry;
   std::size_t entrySize = 0;
   for (int i = 0; i < nLeaves; ++i) {
      auto *leaf = static_cast<const TLeaf *>(leaves->UncheckedAt(i));
      if (leaf->GetLeafCount())
         return false;
      const std::size_t bytes = std::size_t(leaf->GetLenType()) * leaf->GetLenStatic();
      Append(entry, KindOfLeaf(*leaf), bytes);
      entrySize += bytes;
   }
   if (entrySize == 0 || dataLen % entrySize != 0)
      return false;
   for (std::size_t done = 0; done < dataLen; done += entrySize)
      for (const auto &segment : entry)
         Append(layout, segment.kind, segment.len);
   return true;
}

} // namespace

Layout DescribeBasket(const TBasket &basket)
{
   auto &mutableBasket = const_cast<TBasket &>(basket);
   const std::size_t objLen = basket.GetObjlen();
   const std::size_t keyLen = basket.GetKeylen();
   const std::size_t last = basket.GetLast();
   const std::size_t dataLen = last >= keyLen ? std::min(last - keyLen, objLen) : objLen;
   const TBranch *branch = mutableBasket.GetBranch();

   Layout layout;
   const bool plainBranch = branch && branch->IsA() == TBranch::Class();
   if (!(plainBranch && DescribeLeafData(*branch, dataLen, layout)))
      Append(layout, SegmentKind::Raw, dataLen);

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
