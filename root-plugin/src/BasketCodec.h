// One ROOT compression block of basket data <-> one Baler block, with ROOT's 9-byte header.
#ifndef BALER_BASKETCODEC_H
#define BALER_BASKETCODEC_H

#include <cstddef>

class TBasket;

namespace Baler::Internal {

/// Compresses the part of `basket`'s object buffer that starts at `src` (ROOT splits baskets
/// over 16 MiB into several blocks) into `tgt`. Returns the bytes written, header included, or
/// 0 when the block is better stored uncompressed (ROOT then stores the basket exactly).
/// Never throws: errors are reported through ROOT's error channel.
int CompressBasketBlock(TBasket &basket, int level, const char *src, std::size_t srcSize, unsigned char *tgt,
                        std::size_t tgtCapacity);

/// Decodes one Baler block (header included, `srcSize` bytes) into `tgt`. Returns the decoded
/// size, or 0 on any error, which is reported through ROOT's error channel. Never throws.
int DecompressBalerBlock(const unsigned char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity);

} // namespace Baler::Internal

#endif
