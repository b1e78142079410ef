// Small helpers shared by the basket layout describers: building runs and reading big-endian
// numbers from a basket buffer.
#ifndef BALER_LAYOUT_LAYOUTRUNS_H
#define BALER_LAYOUT_LAYOUTRUNS_H

#include "baler/codec.hpp"

#include <cstddef>
#include <cstdint>

namespace Baler::Internal {

/// Bytes of one element of a run of `kind` (1 for raw bytes).
inline std::size_t ElementSize(baler::codec::SegmentKind kind)
{
   using baler::codec::SegmentKind;
   switch (kind) {
   case SegmentKind::F32:
   case SegmentKind::I32: return 4;
   case SegmentKind::F64: return 8;
   case SegmentKind::Raw: return 1;
   }
   return 1;
}

/// Appends a run, merging it into the previous one when both have the same kind.
inline void Append(baler::codec::Layout &layout, baler::codec::SegmentKind kind, std::size_t len)
{
   if (len == 0)
      return;
   if (!layout.empty() && layout.back().kind == kind)
      layout.back().len += static_cast<std::uint32_t>(len);
   else
      layout.push_back({kind, static_cast<std::uint32_t>(len)});
}

/// A big-endian 32-bit unsigned integer (TBufferFile's byte order).
inline std::uint32_t ReadBigEndian32(const unsigned char *p)
{
   return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

/// The entry data of a basket being written, as the describers see it.
struct BasketData {
   const unsigned char *bytes; ///< start of the object buffer (keylen bytes into the TBuffer)
   std::size_t size;           ///< bytes of entry data: fLast - fKeylen
   int entries;                ///< fNevBuf
   const int *entryOffsets;    ///< fEntryOffset (absolute, keylen included), or null
   std::size_t keyLen;         ///< fKeylen

   /// Start of `entry` relative to `bytes`, or -1 when the offset table is absent or inconsistent.
   long long EntryStart(int entry) const
   {
      if (!entryOffsets || entry < 0 || entry >= entries)
         return -1;
      const long long start = static_cast<long long>(entryOffsets[entry]) - static_cast<long long>(keyLen);
      return start >= 0 && static_cast<std::size_t>(start) <= size ? start : -1;
   }
};

} // namespace Baler::Internal

#endif
