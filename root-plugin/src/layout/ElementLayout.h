// Layouts of TBranchElement baskets: members of split classes, std::vector and ROOT::RVec of
// numbers (top level or members), members of split collections.
#ifndef BALER_LAYOUT_ELEMENTLAYOUT_H
#define BALER_LAYOUT_ELEMENTLAYOUT_H

#include "layout/LayoutRuns.h"

class TBranchElement;

namespace Baler::Internal {

/// Appends the layout of the entry data of a TBranchElement to `layout`. Returns false (and
/// appends nothing) when the data is not a layout it can describe and verify value by value.
bool DescribeElementData(const TBranchElement &branch, const BasketData &data, baler::codec::Layout &layout);

} // namespace Baler::Internal

#endif
