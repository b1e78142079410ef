// ROOT's 9-byte compression block header, as written for Baler blocks.
//
//   [0..1] magic "BA"   [2] method (1)   [3..5] payload size   [6..8] decoded size
//
// Sizes are little-endian 24-bit, as for ROOT's own ZL/XZ/L4/ZS blocks (RZip.h). The payload is
// a self-describing Baler block (docs/format.md).
#ifndef BALER_ROOTBLOCKHEADER_H
#define BALER_ROOTBLOCKHEADER_H

#include <cstddef>
#include <cstdint>

namespace Baler::Internal {

constexpr std::size_t kRootHeaderSize = 9;
constexpr std::size_t kMaxRootBlockSize = 0xffffff; // 24-bit sizes

/// Whether `header` opens with ROOT's two-letter algorithm tag `tag` and the method byte `method`.
inline bool HasHeaderTag(const unsigned char *header, const char *tag, unsigned char method)
{
   return header[0] == tag[0] && header[1] == tag[1] && header[2] == method;
}

inline bool IsBalerBlock(const unsigned char *header)
{
   return HasHeaderTag(header, "BA", 1);
}

inline void WriteLE24(unsigned char *at, std::size_t value)
{
   at[0] = value & 0xff;
   at[1] = (value >> 8) & 0xff;
   at[2] = (value >> 16) & 0xff;
}

inline std::size_t ReadLE24(const unsigned char *at)
{
   return at[0] | (std::size_t(at[1]) << 8) | (std::size_t(at[2]) << 16);
}

/// ROOT's 9-byte header: the algorithm's tag and method byte, then the two sizes.
inline void WriteHeader(unsigned char *header, const char *tag, unsigned char method, std::size_t payloadSize,
                        std::size_t decodedSize)
{
   header[0] = tag[0];
   header[1] = tag[1];
   header[2] = method;
   WriteLE24(header + 3, payloadSize);
   WriteLE24(header + 6, decodedSize);
}

inline void WriteBalerHeader(unsigned char *header, std::size_t payloadSize, std::size_t decodedSize)
{
   WriteHeader(header, "BA", 1, payloadSize, decodedSize);
}

/// The name of ROOT's algorithm whose tag opens a compressed block (R__zip's header: "zstd" for
/// "ZS", ...), nullptr for any other two bytes (Baler's "BA" included).
inline const char *RootAlgorithmOfTag(const unsigned char *tag)
{
   static const char *const tags[][2] = {{"ZL", "zlib"}, {"XZ", "lzma"}, {"CS", "old"}, {"L4", "lz4"}, {"ZS", "zstd"}};
   for (const auto &[bytes, name] : tags)
      if (tag[0] == bytes[0] && tag[1] == bytes[1])
         return name;
   return nullptr;
}

/// The compression method a block's header names: "Baler", ROOT's algorithm ("zstd", ...), or
/// nullptr for a block no reader can decode (kNoCompressionMethod says why).
inline const char *CompressionMethodOfBlock(const unsigned char *header)
{
   return IsBalerBlock(header) ? "Baler" : RootAlgorithmOfTag(header);
}

/// Why a compressed basket whose block names no method (CompressionMethodOfBlock) cannot be read.
constexpr const char *kNoCompressionMethod = "its block names no compression method";

inline std::size_t PayloadSize(const unsigned char *header)
{
   return ReadLE24(header + 3);
}

inline std::size_t DecodedSize(const unsigned char *header)
{
   return ReadLE24(header + 6);
}

} // namespace Baler::Internal

#endif
