// The C++ side of the bridge to the Rust codec: standard C++ types and exceptions only.
// Nothing here knows about ROOT; the ROOT plugin (root-plugin/) builds on this header alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace baler::codec {

/// Raised for malformed specs, corrupt blocks and anything else the codec refuses.
class Error : public std::runtime_error {
public:
   using std::runtime_error::runtime_error;
};

/// How a run of bytes in a buffer is coded. Multi-byte numbers are big-endian, as ROOT writes them.
enum class SegmentKind : std::uint8_t { Raw = 0, F32 = 1, F64 = 2, I32 = 3 };

/// One run of a buffer layout: consecutive segments cover the buffer exactly.
struct Segment {
   SegmentKind kind;
   std::uint32_t len; ///< bytes
};
using Layout = std::vector<Segment>;

class Model;

/// One basket of an object model's member and the context it is coded with: the member's name,
/// the basket's entries, and the decoded float values of each context member's basket for the
/// same entries (in the order Model::ObjectMemberContext gives; empty: coded without context).
struct MemberContext {
   std::string member;
   std::uint64_t firstEntry = 0;
   std::uint64_t entries = 0;
   std::vector<const std::vector<double> *> values;
   /// The I32 values (entry offsets) of the basket of the member's offsets source
   /// (Model::ObjectOffsetsSource) for the same entries; null when not at hand.
   const std::vector<std::int32_t> *offsets = nullptr;
};

/// A basket's values as other members' context: its float values (as doubles) and its I32 values
/// (ROOT's entry offsets), in layout order.
struct ContextBasket {
   std::vector<double> floats;
   std::vector<std::int32_t> ints;
};

/// What a block of an object model's member needs before it can be decoded (`needed` false for
/// every other block): the model, the member, the context members (branch names), the entries,
/// and the member whose basket its entry offsets derive from. A block that derives its entry
/// offsets only (a carrier's) names no model or member: DecodeWithOffsets().
struct BlockContext {
   bool needed = false;
   std::string modelId;
   std::string member;
   std::vector<std::string> context;
   std::uint64_t firstEntry = 0;
   std::uint64_t entries = 0;
   /// The member whose basket's I32 values for the same entries the block's are derived from
   /// (empty: stored in the block).
   std::string offsetsFrom;
};

/// A parsed codec spec; a value type (copyable, comparable through ToString()).
class Spec {
public:
   /// Parses `lossless`, `bits:N`, `rel:E`, `abs:E` or `ae:BOUND:MODEL`; throws Error naming the bad part.
   static Spec Parse(std::string_view text);

   Spec(const Spec &other);
   Spec &operator=(const Spec &other);
   Spec(Spec &&) noexcept;
   Spec &operator=(Spec &&) noexcept;
   ~Spec();

   std::string ToString() const;
   bool IsLossy() const;
   /// The MODEL part of an `ae:BOUND:MODEL` spec (a .balm path or a model id); empty for other specs.
   std::string ModelReference() const;

   /// Encodes `src` into `dst` (capacity `dstCapacity`). Returns the block size, or 0 when it
   /// would not fit. Throws Error when the data cannot be coded with this spec. An `ae:` spec
   /// needs its `model`; the others ignore it.
   std::size_t Encode(const std::uint8_t *src, std::size_t srcLen, const Layout &layout, std::uint8_t *dst,
                      std::size_t dstCapacity, const Model *model = nullptr) const;

   /// Encode() for a basket of an object model's member (`model` an object model, this spec the
   /// `ae:BOUND:MODEL` that names it): coded with its context where that is smaller, per value
   /// otherwise (carriers, members the model does not know, missing context).
   std::size_t EncodeInContext(const std::uint8_t *src, std::size_t srcLen, const Layout &layout, std::uint8_t *dst,
                               std::size_t dstCapacity, const Model &model, const MemberContext &context) const;

private:
   struct Impl;
   explicit Spec(std::unique_ptr<Impl> impl);
   std::unique_ptr<Impl> fImpl;
};

/// A parsed `.balm` model of the `ae:` codec: immutable, shared between threads.
class Model {
public:
   /// Parses and verifies `.balm` bytes; throws Error saying what is wrong.
   static std::shared_ptr<const Model> Parse(const std::uint8_t *bytes, std::size_t len);
   ~Model();

   /// The content-hash id that blocks and specs refer to.
   const std::string &Id() const { return fId; }
   /// The `.balm` bytes, as a file stores them.
   const std::vector<std::uint8_t> &Bytes() const { return fBytes; }
   /// True for an object model (the attributes of one collection, each its own branch, coded together).
   bool IsObjectModel() const;
   /// Whether `member` is a member of this object model; `context` gets the names of the members
   /// whose decoded values it is coded with (empty for a carrier).
   bool ObjectMemberContext(const std::string &member, std::vector<std::string> &context) const;
   /// The member whose basket's entry offsets `member`'s may be derived from (the model's first
   /// carrier); empty for that carrier, a name the model does not know, or another kind of model.
   std::string ObjectOffsetsSource(const std::string &member) const;

   struct Impl;
   const Impl &Parsed() const { return *fImpl; }

private:
   Model(std::unique_ptr<Impl> impl, std::string id, std::vector<std::uint8_t> bytes);
   std::unique_ptr<Impl> fImpl;
   std::string fId;
   std::vector<std::uint8_t> fBytes;
};

/// The id of the model a block was coded with, or an empty string when it needs none.
/// Throws Error when the block is malformed.
std::string BlockModelId(const std::uint8_t *block, std::size_t blockLen);

/// What a block needs to be decoded besides its bytes, when it is an object member's.
BlockContext ReadBlockContext(const std::uint8_t *block, std::size_t blockLen);

/// Decodes a block that needs no float context (a carrier's; `offsets`: the I32 values of the
/// basket its BlockContext::offsetsFrom names, null when it names none) and returns its values:
/// the context of the object members coded with it.
ContextBasket DecodeContextBasket(const std::uint8_t *block, std::size_t blockLen,
                                  const std::vector<std::int32_t> *offsets = nullptr);

/// DecodeContextBasket() from `decoded`, the bytes a decoder gave for `block` (its decoded
/// length): a reader that decoded a carrier's block anyway takes its values without decoding it
/// again.
ContextBasket ContextOfDecoded(const std::uint8_t *block, std::size_t blockLen, const std::uint8_t *decoded,
                               std::size_t decodedLen);

/// Decode() for a block whose only context is derived entry offsets (ReadBlockContext: no model,
/// `offsetsFrom` set), with the I32 values of that basket.
void DecodeWithOffsets(const std::uint8_t *block, std::size_t blockLen, std::uint8_t *dst, std::size_t dstLen,
                       const std::vector<std::int32_t> &offsets);

/// Decode() for an object member's block, with the `model` and context ReadBlockContext names.
void DecodeInContext(const std::uint8_t *block, std::size_t blockLen, std::uint8_t *dst, std::size_t dstLen,
                     const Model &model, const MemberContext &context);

/// What a block holds, read from its section headers (nothing is decoded): the codec of each float
/// kind, e.g. `f32 bits:10` or `f32 ae:bits:7:<model id>, f64 lossless`; `none` without floats.
std::string DescribeBlock(const std::uint8_t *block, std::size_t blockLen);

/// Decodes one block into `dst`, which must have exactly the block's decoded length; `model` is the
/// one BlockModelId names (nullptr when it names none). Verifies the block's checksum; throws Error
/// on any inconsistency (the input is never trusted).
void Decode(const std::uint8_t *block, std::size_t blockLen, std::uint8_t *dst, std::size_t dstLen,
            const Model *model = nullptr);

/// `src` as one zstd frame at zstd `level` in `dst`: the frame zstd's ZSTD_compressCCtx writes,
/// through a zstd context kept for this thread (creating one per call costs more than a small
/// buffer's compression); its size, or 0 when it does not fit in `dstCapacity` bytes.
std::size_t CompressZstdFrame(int level, const std::uint8_t *src, std::size_t srcLen, std::uint8_t *dst,
                              std::size_t dstCapacity);

/// Decodes one zstd frame into `dst`, through a zstd context kept for this thread; the decoded
/// size. Throws Error when the frame is damaged or decodes to more than `dstCapacity` bytes.
std::size_t DecompressZstdFrame(const std::uint8_t *frame, std::size_t frameLen, std::uint8_t *dst,
                                std::size_t dstCapacity);

} // namespace baler::codec
