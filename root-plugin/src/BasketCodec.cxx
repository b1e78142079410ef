#include "BasketCodec.h"

#include "BasketLayout.h"
#include "ModelStore.h"
#include "RootBlockHeader.h"

#include "TBasket.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace Baler::Internal {

bool HasFloats(const baler::codec::Layout &layout)
{
   using baler::codec::SegmentKind;
   return std::any_of(layout.begin(), layout.end(),
                      [](const auto &run) { return run.kind == SegmentKind::F32 || run.kind == SegmentKind::F64; });
}

namespace {

std::size_t EncodeBalerBlock(const baler::codec::Spec &spec, const baler::codec::Model *model,
                             const baler::codec::MemberContext *member, const baler::codec::Layout &layout,
                             const char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity)
{
   if (tgtCapacity <= kRootHeaderSize)
      return 0;
   const std::size_t capacity = std::min(tgtCapacity, kRootHeaderSize + kMaxRootBlockSize) - kRootHeaderSize;
   const auto *bytes = reinterpret_cast<const std::uint8_t *>(src);
   const std::size_t payload =
      member && model ? spec.EncodeInContext(bytes, srcSize, layout, tgt + kRootHeaderSize, capacity, *model, *member)
                      : spec.Encode(bytes, srcSize, layout, tgt + kRootHeaderSize, capacity, model);
   if (payload == 0)
      return 0;
   WriteBalerHeader(tgt, payload, srcSize);
   return kRootHeaderSize + payload;
}

} // namespace

std::size_t CompressBasketBlock(const TBasket &basket, const baler::codec::Spec &spec,
                                const baler::codec::Model *model, const baler::codec::MemberContext *member,
                                const char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity,
                                StandardCompressor standard)
{
   if (srcSize <= kRootHeaderSize || tgtCapacity <= kRootHeaderSize)
      return 0;
   const char *object = const_cast<TBasket &>(basket).GetBufferRef()->Buffer() + basket.GetKeylen();
   const std::size_t begin = src - object;
   const auto basketLayout = DescribeBasket(basket);
   const auto layout = SliceLayout(basketLayout, begin, begin + srcSize);
   // Decided for the whole basket: readers such as uproot expect one algorithm in all its blocks.
   if (HasFloats(basketLayout))
      return EncodeBalerBlock(spec, model, member, layout, src, srcSize, tgt, tgtCapacity);
   const std::size_t standardSize = standard(src, srcSize, tgt, tgtCapacity);
   if (srcSize < static_cast<std::size_t>(basket.GetObjlen())) // one of several blocks (over 16 MiB)
      return standardSize;
   if (standardSize == 0)
      return EncodeBalerBlock(spec, model, member, layout, src, srcSize, tgt, tgtCapacity);
   // Baler's block only where it beats the standard one, so it needs no more room than that.
   std::vector<unsigned char> balerBlock(standardSize - 1);
   const std::size_t balerSize = EncodeBalerBlock(spec, model, member, layout, src, srcSize, balerBlock.data(), balerBlock.size());
   if (balerSize == 0)
      return standardSize;
   std::memcpy(tgt, balerBlock.data(), balerSize);
   return balerSize;
}

std::size_t RecodeBasket(const TBasket &basket, const baler::codec::Layout &layout, const baler::codec::Spec &spec,
                         const baler::codec::Model *model, const baler::codec::MemberContext *member,
                         unsigned char *tgt, std::size_t tgtCapacity, bool &usedModel)
{
   usedModel = false;
   if (!HasFloats(layout))
      return 0;
   return RecodeBasketPart(basket, layout, spec, model, member, 0, basket.GetObjlen(), tgt, tgtCapacity, usedModel);
}

std::size_t RecodeBasketPart(const TBasket &basket, const baler::codec::Layout &layout, const baler::codec::Spec &spec,
                             const baler::codec::Model *model, const baler::codec::MemberContext *member,
                             std::size_t partBegin, std::size_t partEnd, unsigned char *tgt, std::size_t tgtCapacity,
                             bool &usedModel)
{
   usedModel = false;
   const char *object = const_cast<TBasket &>(basket).GetBufferRef()->Buffer() + basket.GetKeylen();
   std::size_t written = 0;
   for (std::size_t begin = partBegin; begin < partEnd; begin += kMaxRootBlockSize) {
      const std::size_t size = std::min(kMaxRootBlockSize, partEnd - begin);
      const std::size_t block = EncodeBalerBlock(spec, model, member, SliceLayout(layout, begin, begin + size),
                                                 object + begin, size, tgt + written, tgtCapacity - written);
      if (block == 0)
         return 0;
      usedModel = usedModel || !baler::codec::BlockModelId(tgt + written + kRootHeaderSize, block - kRootHeaderSize).empty();
      written += block;
   }
   return written;
}

bool ApplySpecToObject(TBasket &basket, const baler::codec::Layout &layout, const baler::codec::Spec &spec,
                       const baler::codec::Model *model)
{
   const std::size_t objectSize = basket.GetObjlen();
   std::vector<unsigned char> blocks(2 * objectSize + 4096);
   bool usedModel = false;
   // per value: an object member's values are those of the per-value codec whatever its context
   const std::size_t size = RecodeBasket(basket, layout, spec, model, nullptr, blocks.data(), blocks.size(), usedModel);
   if (size == 0)
      return false;
   unsigned char *data = reinterpret_cast<unsigned char *>(basket.GetBufferRef()->Buffer() + basket.GetKeylen());
   std::vector<unsigned char> decoded(objectSize);
   std::size_t decodedSize = 0;
   for (std::size_t at = 0; at < size;) {
      const std::size_t block = kRootHeaderSize + PayloadSize(blocks.data() + at);
      decodedSize += DecompressBalerBlock(blocks.data() + at, block, decoded.data() + decodedSize,
                                          decoded.size() - decodedSize);
      at += block;
   }
   if (decodedSize != decoded.size())
      throw baler::codec::Error("a basket decoded to " + std::to_string(decodedSize) + " bytes instead of " +
                                std::to_string(decoded.size()));
   if (std::memcmp(data, decoded.data(), decoded.size()) == 0)
      return false;
   std::memcpy(data, decoded.data(), decoded.size());
   return true;
}

bool ApplySpecInPlace(TBasket &basket, const baler::codec::Spec &spec, const baler::codec::Model *model)
{
   // The layout and the coder read the object length, which a basket in memory does not keep.
   struct ObjectLength : TBasket {
      static Int_t Swap(TBasket &b, Int_t length) { return std::exchange(static_cast<ObjectLength &>(b).fObjlen, length); }
   };
   const Int_t dataLength = basket.GetLast() - basket.GetKeylen();
   if (dataLength <= 0 || !basket.GetBufferRef() || basket.GetBufferRef()->BufferSize() < basket.GetLast())
      return false;
   const Int_t savedLength = ObjectLength::Swap(basket, dataLength);
   bool changed = false;
   try {
      changed = ApplySpecToObject(basket, DescribeBasket(basket), spec, model);
   } catch (...) {
      ObjectLength::Swap(basket, savedLength);
      throw;
   }
   ObjectLength::Swap(basket, savedLength);
   return changed;
}

namespace {

/// Calls `read(block, size)` on each Baler block of a stored basket's payload (`size` bytes, ROOT's
/// block headers included), in order; false where the payload is not all Baler blocks or `read`
/// throws (a damaged block), after the blocks before it.
template <typename Read>
bool ForEachStoredBlock(const unsigned char *payload, std::size_t size, Read read)
{
   std::size_t at = 0;
   for (; at + kRootHeaderSize <= size && IsBalerBlock(payload + at);) {
      const std::size_t block = PayloadSize(payload + at);
      if (block > size - at - kRootHeaderSize)
         return false;
      try {
         read(payload + at + kRootHeaderSize, block);
      } catch (const std::exception &) {
         return false;
      }
      at += kRootHeaderSize + block;
   }
   return at == size;
}

} // namespace

std::vector<std::string> StoredContextBranches(const unsigned char *payload, std::size_t size)
{
   std::vector<std::string> names;
   ForEachStoredBlock(payload, size, [&names](const unsigned char *block, std::size_t blockSize) {
      const auto needs = baler::codec::ReadBlockContext(block, blockSize);
      if (!needs.needed)
         return;
      for (const auto &name : needs.context)
         if (std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(name);
      // the basket its entry offsets derive from
      if (!needs.offsetsFrom.empty() && std::find(names.begin(), names.end(), needs.offsetsFrom) == names.end())
         names.push_back(needs.offsetsFrom);
   });
   return names;
}

bool StoredModelIds(const unsigned char *payload, std::size_t size, std::set<std::string> &ids)
{
   if (size < kRootHeaderSize || !IsBalerBlock(payload))
      return true; // ROOT's own compression, or stored raw: no model
   return ForEachStoredBlock(payload, size, [&ids](const unsigned char *block, std::size_t blockSize) {
      std::string id = baler::codec::BlockModelId(block, blockSize);
      if (!id.empty())
         ids.insert(std::move(id));
   });
}

std::string DescribeBalerBlock(const unsigned char *src, std::size_t srcSize)
{
   if (srcSize < kRootHeaderSize || !IsBalerBlock(src))
      throw baler::codec::Error("not a Baler block");
   const std::size_t payload = PayloadSize(src);
   if (srcSize < kRootHeaderSize + payload)
      throw baler::codec::Error("block of " + std::to_string(payload) + " bytes cut at " +
                                std::to_string(srcSize - kRootHeaderSize));
   return baler::codec::DescribeBlock(src + kRootHeaderSize, payload);
}

std::size_t DecompressBalerBlock(const unsigned char *src, std::size_t srcSize, unsigned char *tgt,
                                 std::size_t tgtCapacity, const ContextFetcher &fetchContext)
{
   const std::size_t payload = PayloadSize(src);
   const std::size_t decoded = DecodedSize(src);
   if (srcSize != kRootHeaderSize + payload)
      throw baler::codec::Error("block size " + std::to_string(srcSize) + " does not match its header (" +
                                std::to_string(kRootHeaderSize + payload) + ")");
   if (decoded > tgtCapacity)
      throw baler::codec::Error("block decodes to " + std::to_string(decoded) + " bytes but only " +
                                std::to_string(tgtCapacity) + " are expected");
   const std::string modelId = baler::codec::BlockModelId(src + kRootHeaderSize, payload);
   const ModelPtr model = modelId.empty() ? nullptr : FindModel(modelId);
   if (model && model->IsObjectModel()) {
      if (!fetchContext)
         throw NotTheReadingBasket("an object member's block decoded without a basket to fetch its context for");
      const auto needs = baler::codec::ReadBlockContext(src + kRootHeaderSize, payload);
      const FetchedContext fetched = fetchContext(needs);
      baler::codec::MemberContext member{needs.member, needs.firstEntry, needs.entries, {}};
      for (const auto &column : fetched.values)
         member.values.push_back(&column->floats);
      if (fetched.offsets)
         member.offsets = &fetched.offsets->ints;
      baler::codec::DecodeInContext(src + kRootHeaderSize, payload, tgt, decoded, *model, member);
      return decoded;
   }
   if (!model) {
      // a carrier whose entry offsets derive from its model's first carrier's basket
      const auto needs = baler::codec::ReadBlockContext(src + kRootHeaderSize, payload);
      if (needs.needed) {
         if (!fetchContext)
            throw NotTheReadingBasket("a block with derived entry offsets decoded without a basket to fetch them for");
         const FetchedContext fetched = fetchContext(needs);
         if (!fetched.offsets || !fetched.values.empty())
            throw ContextUnavailable("the block needs the entry offsets of " + needs.offsetsFrom);
         baler::codec::DecodeWithOffsets(src + kRootHeaderSize, payload, tgt, decoded, fetched.offsets->ints);
         return decoded;
      }
   }
   baler::codec::Decode(src + kRootHeaderSize, payload, tgt, decoded, model.get());
   return decoded;
}

} // namespace Baler::Internal
