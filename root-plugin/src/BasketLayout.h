// Which bytes of a TBasket's buffer are floats: the plugin's knowledge of ROOT's basket layouts.
//
// The codec sees only a byte buffer plus a layout (runs of raw bytes, big-endian f32/f64/i32).
// Everything ROOT-specific about where the values sit lives here.
#ifndef BALER_BASKETLAYOUT_H
#define BALER_BASKETLAYOUT_H

#include "baler/codec.hpp"

#include <cstddef>

class TBasket;
class TBranch;

namespace Baler::Internal {

/// Layout of the whole object buffer of `basket` as it is being written: the entry data
/// (`[0, fLast - fKeylen)`) followed by the entry-offset tail, if any (I32).
///
/// Described value by value (layout/LeafLayout.cxx, layout/ElementLayout.cxx): plain TBranch
/// leaves and fixed leaf lists of F/D/I (plus B/O/S/L as raw), variable arrays `x[n]/F`;
/// std::vector and ROOT::RVec of float/double/int, and std::vector<std::vector<...>> of them
/// (top level, split or not, members of split classes and of the objects of split TClonesArray/STL
/// collections; every byte count and size checked against the buffer and the entry offsets);
/// float, double and int members and fixed arrays of split classes and of the objects of split
/// collections. Everything else is raw, in particular Float16_t/Double32_t
/// (already reduced by ROOT), unsplit objects and anything inconsistent with the metadata.
baler::codec::Layout DescribeBasket(const TBasket &basket);

/// True when one of the branch's own leaves stores float or double values that the layouts
/// above describe as floats, i.e. values a lossy codec acts on (sub-branches not included).
/// Float16_t/Double32_t are ROOT's own reduced types and are kept as written: they do not count.
bool HasCodableFloatLeaf(TBranch &branch);

/// True when the branch's codable floats (HasCodableFloatLeaf) are all single precision: Float_t
/// scalars and arrays, std::vector<float> and the like, in a leaf list with no double beside them.
/// A `bits:N` above a float's 23 mantissa bits keeps every bit of such a branch.
bool HasOnlySinglePrecisionFloats(TBranch &branch);

/// The part of `layout` covering bytes `[begin, end)`. Numbers cut by the boundaries become raw
/// bytes, which is what ROOT's 16 MiB block splitting (not a multiple of 4) needs.
baler::codec::Layout SliceLayout(const baler::codec::Layout &layout, std::size_t begin, std::size_t end);

} // namespace Baler::Internal

#endif
