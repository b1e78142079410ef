#include "baler/codec.hpp"

#include "rust/cxx.h" // before the generated header: it declares rust::Error, which we catch
#include "baler-bridge/src/lib.rs.h"

#include <utility>

namespace baler::codec {

namespace {

template <typename F>
auto Translate(F &&call) -> decltype(call())
{
   try {
      return call();
   } catch (const rust::Error &e) {
      throw Error(e.what());
   }
}

rust::Slice<const std::int32_t> IntSlice(const std::vector<std::int32_t> *values)
{
   return values ? rust::Slice<const std::int32_t>(values->data(), values->size()) : rust::Slice<const std::int32_t>();
}

ContextBasket FromBridge(bridge::ContextBasket &&values)
{
   ContextBasket basket;
   basket.floats.assign(values.floats.begin(), values.floats.end());
   basket.ints.assign(values.ints.begin(), values.ints.end());
   return basket;
}

rust::Slice<const std::uint8_t> ByteSlice(const std::uint8_t *data, std::size_t len)
{
   return {data, len};
}

/// The context members' values one after the other, and how many each has (the bridge's shape);
/// throws when they differ in length.
std::pair<std::vector<double>, std::size_t> FlatContext(const MemberContext &context)
{
   std::vector<double> flat;
   const std::size_t perMember = context.values.empty() ? 0 : context.values.front()->size();
   flat.reserve(perMember * context.values.size());
   for (const auto *values : context.values) {
      if (values->size() != perMember)
         throw Error("context members of " + context.member + " hold different numbers of values");
      flat.insert(flat.end(), values->begin(), values->end());
   }
   return {std::move(flat), perMember};
}

std::vector<bridge::LayoutRun> Runs(const Layout &layout)
{
   std::vector<bridge::LayoutRun> runs;
   runs.reserve(layout.size());
   for (const auto &segment : layout)
      runs.push_back({static_cast<std::uint8_t>(segment.kind), segment.len});
   return runs;
}

} // namespace

struct Model::Impl {
   rust::Box<bridge::CodecModel> model;
};

struct Spec::Impl {
   rust::Box<bridge::CodecSpec> spec;
};

Spec::Spec(std::unique_ptr<Impl> impl) : fImpl(std::move(impl)) {}

Spec Spec::Parse(std::string_view text)
{
   return Translate([&] {
      return Spec(std::make_unique<Impl>(Impl{bridge::parse_spec(rust::Str(text.data(), text.size()))}));
   });
}

Spec::Spec(const Spec &other) : fImpl(std::make_unique<Impl>(Impl{bridge::clone_spec(*other.fImpl->spec)})) {}

Spec &Spec::operator=(const Spec &other)
{
   if (this != &other)
      fImpl = std::make_unique<Impl>(Impl{bridge::clone_spec(*other.fImpl->spec)});
   return *this;
}

Spec::Spec(Spec &&) noexcept = default;
Spec &Spec::operator=(Spec &&) noexcept = default;
Spec::~Spec() = default;

std::string Spec::ToString() const
{
   return std::string(bridge::spec_to_string(*fImpl->spec));
}

bool Spec::IsLossy() const
{
   return bridge::spec_is_lossy(*fImpl->spec);
}

std::string Spec::ModelReference() const
{
   return std::string(bridge::spec_model_reference(*fImpl->spec));
}

std::size_t Spec::Encode(const std::uint8_t *src, std::size_t srcLen, const Layout &layout, std::uint8_t *dst,
                         std::size_t dstCapacity, const Model *model) const
{
   const auto runs = Runs(layout);
   const rust::Slice<const bridge::LayoutRun> runSlice(runs.data(), runs.size());
   const rust::Slice<std::uint8_t> out(dst, dstCapacity);
   return Translate([&] {
      return model ? bridge::encode_block_with_model(*fImpl->spec, *model->Parsed().model, ByteSlice(src, srcLen), runSlice, out)
                   : bridge::encode_block(*fImpl->spec, ByteSlice(src, srcLen), runSlice, out);
   });
}

std::size_t Spec::EncodeInContext(const std::uint8_t *src, std::size_t srcLen, const Layout &layout, std::uint8_t *dst,
                                  std::size_t dstCapacity, const Model &model, const MemberContext &context) const
{
   const auto runs = Runs(layout);
   const auto [flatValues, perMemberCount] = FlatContext(context);
   const std::vector<double> &flat = flatValues;
   const std::size_t perMember = perMemberCount;
   return Translate([&] {
      return bridge::encode_block_in_context(
         *fImpl->spec, *model.Parsed().model, rust::Str(context.member.data(), context.member.size()),
         context.firstEntry, context.entries, rust::Slice<const double>(flat.data(), flat.size()), perMember,
         IntSlice(context.offsets), context.offsets != nullptr, ByteSlice(src, srcLen), rust::Slice<const bridge::LayoutRun>(runs.data(), runs.size()),
         rust::Slice<std::uint8_t>(dst, dstCapacity));
   });
}

Model::Model(std::unique_ptr<Impl> impl, std::string id, std::vector<std::uint8_t> bytes)
   : fImpl(std::move(impl)), fId(std::move(id)), fBytes(std::move(bytes))
{
}

Model::~Model() = default;

bool Model::IsObjectModel() const
{
   return bridge::model_is_object(*fImpl->model);
}

bool Model::ObjectMemberContext(const std::string &member, std::vector<std::string> &context) const
{
   rust::Vec<rust::String> names;
   const bool known = bridge::object_member_context(*fImpl->model, rust::Str(member.data(), member.size()), names);
   context.clear();
   for (const auto &name : names)
      context.emplace_back(std::string(name));
   return known;
}

std::string Model::ObjectOffsetsSource(const std::string &member) const
{
   return std::string(bridge::object_offsets_source(*fImpl->model, rust::Str(member.data(), member.size())));
}

std::shared_ptr<const Model> Model::Parse(const std::uint8_t *bytes, std::size_t len)
{
   return Translate([&] {
      auto impl = std::make_unique<Impl>(Impl{bridge::parse_model(ByteSlice(bytes, len))});
      std::string id(bridge::model_id(*impl->model));
      return std::shared_ptr<const Model>(
         new Model(std::move(impl), std::move(id), std::vector<std::uint8_t>(bytes, bytes + len)));
   });
}

std::string BlockModelId(const std::uint8_t *block, std::size_t blockLen)
{
   return Translate([&] { return std::string(bridge::block_model_id(ByteSlice(block, blockLen))); });
}

BlockContext ReadBlockContext(const std::uint8_t *block, std::size_t blockLen)
{
   return Translate([&] {
      const auto info = bridge::block_context(ByteSlice(block, blockLen));
      BlockContext context;
      context.needed = info.needed;
      context.modelId = std::string(info.model_id);
      context.member = std::string(info.member);
      for (const auto &name : info.context)
         context.context.emplace_back(std::string(name));
      context.firstEntry = info.first_entry;
      context.entries = info.entries;
      context.offsetsFrom = std::string(info.offsets_from);
      return context;
   });
}

ContextBasket DecodeContextBasket(const std::uint8_t *block, std::size_t blockLen, const std::vector<std::int32_t> *offsets)
{
   return Translate(
      [&] { return FromBridge(bridge::decode_context_block(ByteSlice(block, blockLen), IntSlice(offsets), offsets != nullptr)); });
}

ContextBasket ContextOfDecoded(const std::uint8_t *block, std::size_t blockLen, const std::uint8_t *decoded,
                               std::size_t decodedLen)
{
   return Translate(
      [&] { return FromBridge(bridge::decoded_context(ByteSlice(block, blockLen), ByteSlice(decoded, decodedLen))); });
}

void DecodeInContext(const std::uint8_t *block, std::size_t blockLen, std::uint8_t *dst, std::size_t dstLen,
                     const Model &model, const MemberContext &context)
{
   const auto [flatValues, perMemberCount] = FlatContext(context);
   const std::vector<double> &flat = flatValues;
   const std::size_t perMember = perMemberCount;
   Translate([&] {
      bridge::decode_block_in_context(ByteSlice(block, blockLen), *model.Parsed().model,
                                      rust::Str(context.member.data(), context.member.size()), context.firstEntry,
                                      context.entries, rust::Slice<const double>(flat.data(), flat.size()), perMember,
                                      IntSlice(context.offsets), context.offsets != nullptr,
                                      rust::Slice<std::uint8_t>(dst, dstLen));
   });
}

void DecodeWithOffsets(const std::uint8_t *block, std::size_t blockLen, std::uint8_t *dst, std::size_t dstLen,
                       const std::vector<std::int32_t> &offsets)
{
   Translate([&] {
      bridge::decode_block_with_offsets(ByteSlice(block, blockLen), IntSlice(&offsets), rust::Slice<std::uint8_t>(dst, dstLen));
   });
}

std::string DescribeBlock(const std::uint8_t *block, std::size_t blockLen)
{
   return Translate([&] { return std::string(bridge::describe_block(ByteSlice(block, blockLen))); });
}

void Decode(const std::uint8_t *block, std::size_t blockLen, std::uint8_t *dst, std::size_t dstLen, const Model *model)
{
   Translate([&] {
      if (model)
         bridge::decode_block_with_model(ByteSlice(block, blockLen), *model->Parsed().model,
                                         rust::Slice<std::uint8_t>(dst, dstLen));
      else
         bridge::decode_block(ByteSlice(block, blockLen), rust::Slice<std::uint8_t>(dst, dstLen));
   });
}

std::size_t CompressZstdFrame(int level, const std::uint8_t *src, std::size_t srcLen, std::uint8_t *dst,
                              std::size_t dstCapacity)
{
   return bridge::zstd_compress_frame(level, ByteSlice(src, srcLen), rust::Slice<std::uint8_t>(dst, dstCapacity));
}

std::size_t DecompressZstdFrame(const std::uint8_t *frame, std::size_t frameLen, std::uint8_t *dst,
                                std::size_t dstCapacity)
{
   return Translate([&] {
      return bridge::zstd_decompress_frame(ByteSlice(frame, frameLen), rust::Slice<std::uint8_t>(dst, dstCapacity));
   });
}

} // namespace baler::codec
