// One ROOT compression block of basket data <-> one Baler block, with ROOT's 9-byte header.
// Both directions throw baler::codec::Error; the hooks turn that into ROOT errors.
#ifndef BALER_BASKETCODEC_H
#define BALER_BASKETCODEC_H

#include "baler/codec.hpp"

#include <cstddef>

class TBasket;

namespace Baler::Internal {

/// Compresses the part of `basket`'s object buffer that starts at `src` (ROOT splits baskets
/// over 16 MiB into several blocks) into `tgt` with `spec`. Returns the bytes written, header
/// included, or 0 when the block does not fit (ROOT then stores the basket exactly).
std::size_t CompressBasketBlock(const TBasket &basket, const baler::codec::Spec &spec, const char *src,
                                std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity);

/// Decodes one Baler block (header included, `srcSize` bytes) into `tgt`; returns the decoded size.
std::size_t DecompressBalerBlock(const unsigned char *src, std::size_t srcSize, unsigned char *tgt,
                                 std::size_t tgtCapacity);

} // namespace Baler::Internal

#endif
