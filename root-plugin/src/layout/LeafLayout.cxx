#include "layout/LeafLayout.h"

#include "TBranch.h"
#include "TLeaf.h"
#include "TLeafB.h"
#include "TLeafD.h"
#include "TLeafF.h"
#include "TLeafI.h"
#include "TLeafL.h"
#include "TLeafO.h"
#include "TLeafS.h"
#include "TObjArray.h"

namespace Baler::Internal {

using baler::codec::Layout;
using baler::codec::SegmentKind;

namespace {

/// How the values of one leaf are coded and how many bytes one value takes in the basket.
/// Returns false for leaves whose bytes in the basket are not simply GetLenType() per value:
/// Float16_t/Double32_t (TLeafF16/TLeafD32 write 3 or 4 bytes, already reduced by ROOT, kept
/// exactly), strings, objects. Those branches are stored as raw bytes.
bool KindOfLeaf(const TLeaf &leaf, SegmentKind &kind, std::size_t &valueSize)
{
   const TClass *type = leaf.IsA();
   if (type == TLeafF::Class()) {
      kind = SegmentKind::F32, valueSize = 4;
   } else if (type == TLeafD::Class()) {
      kind = SegmentKind::F64, valueSize = 8;
   } else if (type == TLeafI::Class()) {
      kind = SegmentKind::I32, valueSize = 4;
   } else if (type == TLeafL::Class()) {
      kind = SegmentKind::Raw, valueSize = 8;
   } else if (type == TLeafS::Class()) {
      kind = SegmentKind::Raw, valueSize = 2;
   } else if (type == TLeafB::Class() || type == TLeafO::Class()) {
      kind = SegmentKind::Raw, valueSize = 1;
   } else {
      return false;
   }
   return true;
}

} // namespace

bool DescribeLeafData(const TBranch &branch, const BasketData &data, Layout &layout)
{
   const TObjArray *leaves = const_cast<TBranch &>(branch).GetListOfLeaves();
   const int nLeaves = leaves ? leaves->GetEntriesFast() : 0;
   if (nLeaves == 0 || data.entries < 0)
      return false;
   const std::size_t entries = static_cast<std::size_t>(data.entries);
   if (nLeaves == 1) {
      // One leaf, scalar, fixed or variable array: the data is a plain sequence of its values.
      auto *leaf = static_cast<const TLeaf *>(leaves->UncheckedAt(0));
      SegmentKind kind;
      std::size_t valueSize;
      if (!KindOfLeaf(*leaf, kind, valueSize))
         return false;
      if (leaf->GetLeafCount()) {
         if (data.size % valueSize != 0)
            return false;
      } else if (data.size != entries * valueSize * std::size_t(leaf->GetLenStatic())) {
         return false;
      }
      Append(layout, kind, data.size);
      return true;
   }
   // A leaf list: per entry, each leaf's values in turn. Only fixed-size leaves repeat regularly.
   Layout entry;
   std::size_t entrySize = 0;
   for (int i = 0; i < nLeaves; ++i) {
      auto *leaf = static_cast<const TLeaf *>(leaves->UncheckedAt(i));
      SegmentKind kind;
      std::size_t valueSize;
      if (leaf->GetLeafCount() || !KindOfLeaf(*leaf, kind, valueSize))
         return false;
      const std::size_t bytes = valueSize * std::size_t(leaf->GetLenStatic());
      Append(entry, kind, bytes);
      entrySize += bytes;
   }
   if (entrySize == 0 || data.size != entries * entrySize)
      return false;
   for (std::size_t done = 0; done < data.size; done += entrySize)
      for (const auto &segment : entry)
         Append(layout, segment.kind, segment.len);
   return true;
}

} // namespace Baler::Internal
