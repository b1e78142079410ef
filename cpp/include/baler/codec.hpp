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

/// What a block holds, read from its section headers (nothing is decoded): the codec of each float
/// kind, e.g. `f32 bits:10` or `f32 ae:bits:7:<model id>, f64 lossless`; `none` without floats.
std::string DescribeBlock(const std::uint8_t *block, std::size_t blockLen);

/// Decodes one block into `dst`, which must have exactly the block's decoded length; `model` is the
/// one BlockModelId names (nullptr when it names none). Verifies the block's checksum; throws Error
/// on any inconsistency (the input is never trusted).
void Decode(const std::uint8_t *block, std::size_t blockLen, std::uint8_t *dst, std::size_t dstLen,
            const Model *model = nullptr);

} // namespace baler::codec
