// Which bytes of a TBasket's buffer are floats: the plugin's knowledge of ROOT's basket layouts.
//
// The codec sees only a byte buffer plus a layout (runs of raw bytes, big-endian f32/f64/i32).
// Everything ROOT-specific about where the values sit lives here.
#ifndef BALER_BASKETLAYOUT_H
#define BALER_BASKETLAYOUT_H

#include "baler/codec.hpp"

#include <cstddef>

class TBasket;

namespace Baler::Internal {

/// Layout of the whole object buffer of `basket` as it is being written: the entry data
/// (`[0, fLast - fKeylen)`) followed by the entry-offset tail, if any. Unknown layouts are raw.
baler::codec::Layout DescribeBasket(const TBasket &basket);

/// The part of `layout` covering bytes `[begin, end)`. Numbers cut by the boundaries become raw
/// bytes, which is what ROOT's 16 MiB block splitting (not a multiple of 4) needs.
baler::codec::Layout SliceLayout(const baler::codec::Layout &layout, std::size_t begin, std::size_t end);

} // namespace Baler::Internal

#endif
