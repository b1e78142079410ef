#include "baler/codec.hpp"

#include "rust/cxx.h" // before the generated header: it declares rust::Error, which we catch
#include "baler-bridge/src/lib.rs.h"

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

rust::Slice<const std::uint8_t> Bytes(const std::uint8_t *data, std::size_t len)
{
   return {data, len};
}

} // namespace

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

std::size_t Spec::Encode(const std::uint8_t *src, std::size_t srcLen, const Layout &layout, std::uint8_t *dst,
                         std::size_t dstCapacity) const
{
   std::vector<bridge::LayoutRun> runs;
   runs.reserve(layout.size());
   for (const auto &segment : layout)
      runs.push_back({static_cast<std::uint8_t>(segment.kind), segment.len});
   return Translate([&] {
      return bridge::encode_block(*fImpl->spec, Bytes(src, srcLen),
                                  rust::Slice<const bridge::LayoutRun>(runs.data(), runs.size()),
                                  rust::Slice<std::uint8_t>(dst, dstCapacity));
   });
}

void Decode(const std::uint8_t *block, std::size_t blockLen, std::uint8_t *dst, std::size_t dstLen)
{
   Translate([&] { bridge::decode_block(Bytes(block, blockLen), rust::Slice<std::uint8_t>(dst, dstLen)); });
}

} // namespace baler::codec
