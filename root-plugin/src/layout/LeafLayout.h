// Layouts of plain TBranch baskets: one leaf (scalar, fixed or variable array) or a leaf list.
#ifndef BALER_LAYOUT_LEAFLAYOUT_H
#define BALER_LAYOUT_LEAFLAYOUT_H

#include "layout/LayoutRuns.h"

class TBranch;

namespace Baler::Internal {

/// Appends the layout of the entry data of a plain TBranch to `layout`. Returns false (and
/// appends nothing) when the data is not a layout it can describe value by value.
bool DescribeLeafData(const TBranch &branch, const BasketData &data, baler::codec::Layout &layout);

} // namespace Baler::Internal

#endif
