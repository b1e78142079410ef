#include "BasketCodec.h"

#include "BasketLayout.h"
#include "RootBlockHeader.h"

#include "TBasket.h"

#include <algorithm>
#include <string>

namespace Baler::Internal {

std::size_t CompressBasketBlock(const TBasket &basket, const baler::codec::Spec &spec, const char *src,
                                std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity)
{
   if (srcSize <= kRootHeaderSize || tgtCapacity <= kRootHeaderSize)
      return 0;
   const char *object = const_cast<TBasket &>(basket).GetBufferRef()->Buffer() + basket.GetKeylen();
   const std::size_t begin = src - object;
   const auto layout = SliceLayout(DescribeBasket(basket), begin, begin + srcSize);
   const std::size_t capacity = std::min(tgtCapacity, kRootHeaderSize + kMaxRootBlockSize) - kRootHeaderSize;
   const std::size_t payload = spec.Encode(reinterpret_cast<const std::uint8_t *>(src), srcSize, layout,
                                           tgt + kRootHeaderSize, capacity);
   if (payload == 0)
      return 0;
   WriteBalerHeader(tgt, payload, srcSize);
   return kRootHeaderSize + payload;
}

std::size_t DecompressBalerBlock(const unsigned char *src, std::size_t srcSize, unsigned char *tgt,
                                 std::size_t tgtCapacity)
{
   const std::size_t payload = PayloadSize(src);
   const std::size_t decoded = DecodedSize(src);
   if (srcSize != kRootHeaderSize + payload)
      throw baler::codec::Error("block size " + std::to_string(srcSize) + " does not match its header (" +
                                std::to_string(kRootHeaderSize + payload) + ")");
   if (decoded > tgtCapacity)
      throw baler::codec::Error("block decodes to " + std::to_string(decoded) + " bytes but only " +
                                std::to_string(tgtCapacity) + " are expected");
   baler::codec::Decode(src + kRootHeaderSize, payload, tgt, decoded);
   return decoded;
}

} // namespace Baler::Internal
