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
/// TBufferFile's flag in a collection's 2-byte version when it is streamed member-wise: the
/// values are then not in the order the layouts expect.
constexpr std::uint32_t kStreamedMemberWise = 0x4000;

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

/// What one streamed collection of numbers holds: its values' kind and size, and whether it is
/// nested (std::vector<std::vector<T>>: each element is itself a size and its values).
struct CollectionShape {
   SegmentKind kind;
   std::size_t valueSize;
   bool nested;
};

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

/// The shape of a collection the layouts understand: a collection of numbers (KindOfCollection),
/// or a std::vector of such collections held by value, which TBufferFile streams object-wise as
/// the outer size followed by each inner collection's size and values, with no byte counts
/// inside (the form of ATLAS's xAOD AuxDyn covariance matrices and sampling energies).
bool ShapeOfCollection(TClass *collection, CollectionShape &shape)
{
   if (KindOfCollection(collection, shape.kind, shape.valueSize)) {
      shape.nested = false;
      return true;
   }
   TVirtualCollectionProxy *proxy = collection ? collection->GetCollectionProxy() : nullptr;
   if (!proxy || proxy->HasPointers() || collection->GetCollectionType() != ROOT::kSTLvector)
      return false;
   TClass *inner = proxy->GetValueClass();
   if (!inner || inner->GetCollectionType() != ROOT::kSTLvector ||
       !KindOfCollection(inner, shape.kind, shape.valueSize))
      return false;
   shape.nested = true;
   return true;
}

/// One collection's size and values at `pos` (nested: the outer size, then per inner collection
/// its size and values), not beyond `end`. Appends its runs and advances `pos`; false when a
/// size does not fit. Every size read consumes 4 bytes, so a lying size cannot make it loop long.
bool DescribeCollectionBody(const unsigned char *bytes, std::size_t &pos, std::size_t end,
                            const CollectionShape &shape, Layout &runs)
{
   auto sizedValues = [&](SegmentKind kind, std::size_t valueSize) {
      if (end - pos < 4)
         return false;
      const std::uint64_t n = ReadBigEndian32(bytes + pos);
      const std::uint64_t payload = n * valueSize;
      if (payload > end - pos - 4)
         return false;
      Append(runs, SegmentKind::Raw, 4);
      Append(runs, kind, payload);
      pos += 4 + payload;
      return true;
   };
   if (!shape.nested)
      return sizedValues(shape.kind, shape.valueSize);
   if (end - pos < 4)
      return false;
   const std::uint32_t outer = ReadBigEndian32(bytes + pos);
   Append(runs, SegmentKind::Raw, 4);
   pos += 4;
   for (std::uint32_t i = 0; i < outer; ++i)
      if (!sizedValues(shape.kind, shape.valueSize))
         return false;
   return true;
}

/// One streamed collection per entry: a byte count (| kByteCountMask), a 2-byte version, then the
/// collection's body (DescribeCollectionBody). With `bodyPerObject` the record holds one body for
/// each object of the entry, one after the other (a collection member of the objects of a split
/// TClonesArray or STL collection; an entry without objects has a record with no body). Every
/// header and size is checked against the buffer and the record's byte count, and the basket's
/// entry offsets, when present, must fall on record starts. Returns false on any inconsistency.
bool DescribeCollections(const BasketData &data, const CollectionShape &shape, bool bodyPerObject, Layout &layout)
{
   constexpr std::size_t kHeader = 4 + 2;
   Layout runs;
   std::size_t pos = 0;
   std::size_t records = 0;
   while (pos < data.size) {
      if (data.entryOffsets && data.EntryStart(static_cast<int>(records)) != static_cast<long long>(pos))
         return false;
      if (data.size - pos < kHeader)
         return false;
      const std::uint32_t byteCount = ReadBigEndian32(data.bytes + pos);
      const std::uint32_t version = (std::uint32_t(data.bytes[pos + 4]) << 8) | data.bytes[pos + 5];
      if (!(byteCount & kByteCountMask) || (version & kStreamedMemberWise))
         return false;
      const std::size_t recordLen = 4 + std::size_t(byteCount & ~kByteCountMask);
      if (recordLen < kHeader || recordLen > data.size - pos)
         return false;
      const std::size_t recordEnd = pos + recordLen;
      Append(runs, SegmentKind::Raw, kHeader);
      pos += kHeader;
      if (bodyPerObject) {
         while (pos < recordEnd)
            if (!DescribeCollectionBody(data.bytes, pos, recordEnd, shape, runs))
               return false;
      } else if (!DescribeCollectionBody(data.bytes, pos, recordEnd, shape, runs)) {
         return false;
      }
      if (pos != recordEnd)
         return false;
      ++records;
   }
   if (records != static_cast<std::size_t>(data.entries))
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
   CollectionShape shape;

   if (type == kClonesNode || type == kSTLNode) {
      // The top branch of a split TClonesArray or STL collection: the object count of each entry.
      // Lossless either way; I32 only helps the coding.
      return DescribeFixed(data, SegmentKind::I32, 4, 1, layout);
   }
   if (id < 0) {
      // A top-level branch that is not split: only collections of numbers, nested or not, are
      // understood.
      if (type != kLeafNode || const_cast<TBranchElement &>(branch).GetListOfBranches()->GetEntriesFast() != 0)
         return false;
      return ShapeOfCollection(branch.GetClass(), shape) &&
             DescribeCollections(data, shape, /*bodyPerObject=*/false, layout);
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
         return ShapeOfCollection(element->GetClassPointer(), shape) &&
                DescribeCollections(data, shape, /*bodyPerObject=*/false, layout);
      return false;
   }
   if (type == kClonesMemberNode || type == kSTLMemberNode) {
      if (KindOfBasicType(streamerType, kind, size))
         return DescribeConcatenated(data, kind, size, layout);
      if (streamerType > TVirtualStreamerInfo::kOffsetL && streamerType < TVirtualStreamerInfo::kOffsetP &&
          KindOfBasicType(streamerType - TVirtualStreamerInfo::kOffsetL, kind, size) && element->GetArrayLength() > 0)
         return DescribeConcatenated(data, kind, size * std::size_t(element->GetArrayLength()), layout);
      if (streamerType == TVirtualStreamerInfo::kSTL && element->IsA() == TStreamerSTL::Class())
         return ShapeOfCollection(element->GetClassPointer(), shape) &&
                DescribeCollections(data, shape, /*bodyPerObject=*/true, layout);
      return false;
   }
   return false;
}

} // namespace Baler::Internal
