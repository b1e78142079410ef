#include "BasketCodec.h"

#include "BasketLayout.h"
#include "RootBlockHeader.h"

#include "TBasket.h"
#include "TBranch.h"
#include "TError.h"

#include <array>
#include <optional>
#include <string>

namespace Baler::Internal {

using baler::codec::Spec;

namespace {

/// Level 99 of the compression setting means lossless; 1..23 means `bits:N` for float and double
/// values. Specs are parsed once and shared (they are immutable).
constexpr int kLosslessLevel = 99;
constexpr int kMaxBitsLevel = 23;

const Spec *SpecForLevel(int level)
{
   static const std::array<std::optional<Spec>, 100> specs = [] {
      std::array<std::optional<Spec>, 100> table;
      table[kLosslessLevel] = Spec::Parse("lossless");
      for (int bits = 1; bits <= kMaxBitsLevel; ++bits)
         table[bits] = Spec::Parse("bits:" + std::to_string(bits));
      return table;
   }();
   if (level < 0 || level >= static_cast<int>(specs.size()) || !specs[level])
      return nullptr;
   return &*specs[level];
}

const char *BranchName(TBasket &basket)
{
   return basket.GetBranch() ? basket.GetBranch()->GetName() : "?";
}

} // namespace

int CompressBasketBlock(TBasket &basket, int level, const char *src, std::size_t srcSize, unsigned char *tgt,
                        std::size_t tgtCapacity)
{
   try {
      const Spec *spec = SpecForLevel(level);
      if (!spec) {
         Error("Baler", "branch %s: compression level %d is not a Baler setting (1-%d for bits:N, %d for lossless); "
                        "basket stored uncompressed",
               BranchName(basket), level, kMaxBitsLevel, kLosslessLevel);
         return 0;
      }
      const char *object = basket.GetBufferRef()->Buffer() + basket.GetKeylen();
      const std::size_t begin = src - object;
      const auto layout = SliceLayout(DescribeBasket(basket), begin, begin + srcSize);
      const std::size_t capacity = std::min(tgtCapacity, kRootHeaderSize + kMaxRootBlockSize) - kRootHeaderSize;
      const std::size_t payload = spec->Encode(reinterpret_cast<const std::uint8_t *>(src), srcSize, layout,
                                               tgt + kRootHeaderSize, capacity);
      if (payload == 0)
         return 0;
      WriteBalerHeader(tgt, payload, srcSize);
      return static_cast<int>(kRootHeaderSize + payload);
   } catch (const std::exception &e) {
      Error("Baler", "branch %s: cannot compress basket: %s; basket stored uncompressed", BranchName(basket),
            e.what());
      return 0;
   }
}

int DecompressBalerBlock(const unsigned char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity)
{
   try {
      const std::size_t payload = PayloadSize(src);
      const std::size_t decoded = DecodedSize(src);
      if (srcSize != kRootHeaderSize + payload)
         throw baler::codec::Error("block size " + std::to_string(srcSize) + " does not match its header (" +
                                   std::to_string(kRootHeaderSize + payload) + ")");
      if (decoded > tgtCapacity)
         throw baler::codec::Error("block decodes to " + std::to_string(decoded) + " bytes but only " +
                                   std::to_string(tgtCapacity) + " are expected");
      baler::codec::Decode(src + kRootHeaderSize, payload, tgt, decoded);
      return static_cast<int>(decoded);
   } catch (const std::exception &e) {
      Error("Baler", "corrupt Baler block (%zu bytes): %s", srcSize, e.what());
      return 0;
   }
}

} // namespace Baler::Internal
