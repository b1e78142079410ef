#include "layout/ElementLayout.h"

#include "ESTLType.h"
#include "TBranchElement.h"
#include "TClass.h"
#include "TDataType.h"
#include "TObjArray.h"
#include "TStreamerElement.h"
#include "TStreamerInfo.h"
#include "TVirtualCollectionProxy.h"
#include "TVirtualStreamerInfo.h"

namespace Baler::Internal {

using baler::codec::Layout;
using baler::codec::SegmentKind;

namespace {

// TBranchElement::fType values (TBranchElement.h's EBranchElementType is protected).
constexpr int kLeafNode = 0;
constexpr int kClonesNode = 3;
constexpr int kSTLNode = 4;
constexpr int kClonesMemberNode = 31;
constexpr int kSTLMemberNode = 41;

/// TBufferFile's flag in the 4-byte byte count that precedes a versioned object.
constexpr std::uint32_t kByteCountMask = 0x40000000;

/// Kind and size of a basic type as TStreamerInfo (TVirtualStreamerInfo::EReadWrite, equal to
/// EDataType for basic types) writes it. Float16_t (19) and Double32_t (9) are already reduced by
/// ROOT and are kept exactly: not listed, so raw.
bool KindOfBasicType(int type, SegmentKind &kind, std::size_t &size)
{
   switch (type) {
   case TVirtualStreamerInfo::kFloat: kind = SegmentKind::F32, size = 4; return true;
   case TVirtualStreamerInfo::kDouble: kind = SegmentKind::F64, size = 8; return true;
   case TVirtualStreamerInfo::kInt:
   case TVirtualStreamerInfo::kUInt:
   case TVirtualStreamerInfo::kCounter: kind = SegmentKind::I32, size = 4; return true;
   default: return false;
   }
}

/// For std::vector or ROOT::RVec of float, double or int (no pointers, no classes): the kind and
/// size of its values.
bool KindOfCollection(TClass *collection, SegmentKind &kind, std::size_t &size)
{
   TVirtualCollectionProxy *proxy = collection ? collection->GetCollectionProxy() : nullptr;
   if (!proxy || proxy->GetValueClass() || proxy->HasPointers())
      return false;
   const int stlType = collection->GetCollectionType();
   if (stlType != ROOT::kSTLvector && stlType != ROOT::kROOTRVec)
      return false;
   switch (proxy->GetType()) {
   case kFloat_t: kind = SegmentKind::F32, size = 4; return true;
   case kDouble_t: kind = SegmentKind::F64, size = 8; return true;
   case kInt_t:
   case kUInt_t: kind = SegmentKind::I32, size = 4; return true;
   default: return false;
   }
}

/// Collections streamed one after the other: per collection a byte count (| kByteCountMask), a
/// 2-byte version, the 4-byte size n and n values. Every header is checked against the buffer;
/// with `onePerEntry` each entry holds exactly one collection, and the basket's entry offsets,
/// when present, must fall on collection boundaries. Returns false on any inconsistency.
bool DescribeCollections(const BasketData &data, SegmentKind kind, std::size_t valueSize, bool onePerEntry,
                         Layout &layout)
{
   constexpr std::size_t kHeader = 4 + 2 + 4;
   Layout runs;
   std::size_t pos = 0;
   int entry = 0;          // the entry whose start is the next offset to match
   std::size_t records = 0;
   while (pos < data.size) {
      if (data.entryOffsets) {
         // Entries that start here (empty entries of member collections start at the same place).
         while (entry < data.entries && data.EntryStart(entry) == static_cast<long long>(pos))
            ++entry;
         if (entry < data.entries && data.EntryStart(entry) < static_cast<long long>(pos))
            return false;
         if (onePerEntry && entry != static_cast<int>(records) + 1)
            return false;
      }
      if (data.size - pos < kHeader)
         return false;
      const std::uint32_t byteCount = ReadBigEndian32(data.bytes + pos);
      const std::uint64_t n = ReadBigEndian32(data.bytes + pos + 6);
      if (!(byteCount & kByteCountMask))
         return false;
      const std::uint64_t payload = n * valueSize;
      if (payload > data.size - pos - kHeader || (byteCount & ~kByteCountMask) != 2 + 4 + payload)
         return false;
      Append(runs, SegmentKind::Raw, kHeader);
      Append(runs, kind, payload);
      pos += kHeader + payload;
      ++records;
   }
   if (pos != data.size)
      return false;
   if (data.entryOffsets) {
      while (entry < data.entries && data.EntryStart(entry) == static_cast<long long>(pos))
         ++entry; // trailing empty entries of member collections
      if (entry != data.entries)
         return false;
   }
   if (onePerEntry && records != static_cast<std::size_t>(data.entries))
      return false;
   layout.insert(layout.end(), runs.begin(), runs.end());
   return true;
}

/// `count` values of `size` bytes per entry (a fixed array or a scalar): checks the total size
/// and, when the basket has them, every entry offset.
bool DescribeFixed(const BasketData &data, SegmentKind kind, std::size_t size, std::size_t count, Layout &layout)
{
   const std::size_t entryBytes = size * count;
   if (entryBytes == 0 || data.entries < 0 || data.size != entryBytes * std::size_t(data.entries))
      return false;
   if (data.entryOffsets)
      for (int entry = 0; entry < data.entries; ++entry)
         if (data.EntryStart(entry) != static_cast<long long>(entry * entryBytes))
            return false;
   Append(layout, kind, data.size);
   return true;
}

/// Members of the objects of a split TClonesArray or STL collection: each entry holds the
/// member's values for all objects of the entry, one after the other.
bool DescribeConcatenated(const BasketData &data, SegmentKind kind, std::size_t valueBytes, Layout &layout)
{
   if (data.size % valueBytes != 0)
      return false;
   if (data.entryOffsets) {
      long long previous = 0;
      for (int entry = 0; entry < data.entries; ++entry) {
         const long long start = data.EntryStart(entry);
         if (start < previous || start % static_cast<long long>(valueBytes) != 0)
            return false;
         previous = start;
      }
   }
   Append(layout, kind, data.size);
   return true;
}

} // namespace

bool DescribeElementData(const TBranchElement &branch, const BasketData &data, Layout &layout)
{
   if (data.size == 0)
      return true;
   const int type = branch.GetType();
   const int id = branch.GetID();
   SegmentKind kind;
   std::size_t size;

   if (type == kClonesNode || type == kSTLNode) {
      // The top branch of a split TClonesArray or STL collection: the object count of each entry.
      // Lossless either way; I32 only helps the coding.
      return DescribeFixed(data, SegmentKind::I32, 4, 1, layout);
   }
   if (id < 0) {
      // A top-level branch that is not split: only collections of numbers are understood.
      if (type != kLeafNode || const_cast<TBranchElement &>(branch).GetListOfBranches()->GetEntriesFast() != 0)
         return false;
      return KindOfCollection(branch.GetClass(), kind, size) &&
             DescribeCollections(data, kind, size, /*onePerEntry=*/true, layout);
   }

   // A data member of a split class: its TStreamerElement says what it is.
   TStreamerInfo *info = branch.GetInfo();
   TObjArray *elements = info ? info->GetElements() : nullptr;
   if (!elements || id >= elements->GetEntriesFast())
      return false;
   auto *element = static_cast<TStreamerElement *>(elements->UncheckedAt(id));
   if (!element || element->GetType() != branch.GetStreamerType())
      return false;
   const int streamerType = branch.GetStreamerType();

   if (type == kLeafNode) {
      if (KindOfBasicType(streamerType, kind, size))
         return DescribeFixed(data, kind, size, 1, layout);
      if (streamerType > TVirtualStreamerInfo::kOffsetL && streamerType < TVirtualStreamerInfo::kOffsetP &&
          KindOfBasicType(streamerType - TVirtualStreamerInfo::kOffsetL, kind, size))
         return element->GetArrayLength() > 0 &&
                DescribeFixed(data, kind, size, std::size_t(element->GetArrayLength()), layout);
      if (streamerType == TVirtualStreamerInfo::kSTL && element->IsA() == TStreamerSTL::Class())
         return KindOfCollection(element->GetClassPointer(), kind, size) &&
                DescribeCollections(data, kind, size, /*onePerEntry=*/true, layout);
      return false;
   }
   if (type == kClonesMemberNode || type == kSTLMemberNode) {
      if (KindOfBasicType(streamerType, kind, size))
         return DescribeConcatenated(data, kind, size, layout);
      if (streamerType > TVirtualStreamerInfo::kOffsetL && streamerType < TVirtualStreamerInfo::kOffsetP &&
          KindOfBasicType(streamerType - TVirtualStreamerInfo::kOffsetL, kind, size) && element->GetArrayLength() > 0)
         return DescribeConcatenated(data, kind, size * std::size_t(element->GetArrayLength()), layout);
      return false;
   }
   return false;
}

} // namespace Baler::Internal
