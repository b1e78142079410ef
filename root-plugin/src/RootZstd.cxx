#include "RootZstd.h"

#include "RootBlockHeader.h"

#include "baler/codec.hpp"

#include <cstdint>

namespace Baler::Internal {

namespace {

/// The third byte of ROOT's ZSTD header: zstd's major version, which R__unzipZSTD requires.
constexpr unsigned char kZstdMajorVersion = 1;

/// R__zipZSTD gives zstd twice the level of the compression setting (ZSTD-505 is zstd level 10).
constexpr int kZstdLevelsPerRootLevel = 2;

} // namespace

std::size_t ZipRootZstd(int level, const char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity)
{
   // R__zipMultipleAlgorithm's own refusals, and the sizes its header cannot hold
   if (level <= 0 || srcSize < kRootHeaderSize + 2 || srcSize > kMaxRootBlockSize || tgtCapacity <= kRootHeaderSize)
      return 0;
   const std::size_t frame =
      baler::codec::CompressZstdFrame(kZstdLevelsPerRootLevel * level, reinterpret_cast<const std::uint8_t *>(src),
                                      srcSize, tgt + kRootHeaderSize, tgtCapacity - kRootHeaderSize);
   if (frame == 0 || frame > kMaxRootBlockSize)
      return 0;
   WriteHeader(tgt, "ZS", kZstdMajorVersion, frame, srcSize);
   return kRootHeaderSize + frame;
}

bool UnzipRootZstd(const unsigned char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity,
                   std::size_t &decoded)
{
   // R__unzip's checks of the header against the sizes it is given
   if (srcSize < kRootHeaderSize || !HasHeaderTag(src, "ZS", kZstdMajorVersion) || kRootHeaderSize + PayloadSize(src) != srcSize ||
       DecodedSize(src) > tgtCapacity)
      return false;
   try {
      decoded = baler::codec::DecompressZstdFrame(src + kRootHeaderSize, srcSize - kRootHeaderSize, tgt, tgtCapacity);
      return true;
   } catch (const baler::codec::Error &) {
      return false;
   }
}

} // namespace Baler::Internal
