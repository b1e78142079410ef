// One ROOT compression block of basket data <-> one Baler block, with ROOT's 9-byte header.
// Both directions throw baler::codec::Error; the hooks turn that into ROOT errors.
#ifndef BALER_BASKETCODEC_H
#define BALER_BASKETCODEC_H

#include "ObjectContext.h"
#include "baler/codec.hpp"

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <vector>

class TBasket;

namespace Baler::Internal {

/// ROOT's own compressor for a block: writes `src` compressed, with ROOT's header, into `tgt`;
/// returns the bytes written, or 0 when the block does not fit in `tgtCapacity`.
using StandardCompressor = std::size_t (*)(const char *src, std::size_t srcSize, unsigned char *tgt,
                                           std::size_t tgtCapacity);

/// Compresses the part of `basket`'s object buffer that starts at `src` (ROOT splits baskets
/// over 16 MiB into several blocks) into `tgt` with `spec`. Returns the bytes written, header
/// included, or 0 when the block does not fit (ROOT then stores the basket exactly).
///
/// A basket without float or double values is stored exactly whatever the spec, and Baler's coding
/// of integers and raw bytes can be larger than a general-purpose compressor's: for such a basket
/// `standard` is tried too, and its block (standard ROOT, readable without the plugin) is kept
/// unless Baler's is strictly smaller. A basket over 16 MiB (several blocks) gets standard blocks
/// throughout, so that all blocks of a basket are of one kind, as readers such as uproot expect.
///
/// `model` is the model an `ae:` spec names (nullptr for the other specs); `member`, for a branch
/// that is a member of that (object) model, the basket's entries and context.
std::size_t CompressBasketBlock(const TBasket &basket, const baler::codec::Spec &spec,
                                const baler::codec::Model *model, const baler::codec::MemberContext *member,
                                const char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity,
                                StandardCompressor standard);

/// Whether `layout` holds float or double values (what Baler's blocks code lossily).
bool HasFloats(const baler::codec::Layout &layout);

/// Fetches the context an object member's block needs (ObjectContext.h's FetchContext).
using ContextFetcher = std::function<FetchedContext(const baler::codec::BlockContext &)>;

/// Codes a whole basket as read from a file (`basket` holds its decoded object buffer, e.g. from
/// TBranch::GetBasket), described by `layout` (DescribeBasket), into Baler blocks, one per ROOT block
/// of at most 16 MiB, as TBasket::WriteBuffer would: this is how `baler compress` recodes baskets
/// without streaming their objects. Returns the bytes written into `tgt`, or 0 when the basket has no
/// float or double values to code (nothing to gain over the stored basket) or the blocks do not fit
/// in `tgtCapacity`. `usedModel` is set when a block was coded through `model` (the file must then
/// carry it). `member`, for a branch that is a member of that (object) model, the basket's entries
/// and context, as CompressBasketBlock takes it (nullptr: coded per value). Touches no ROOT
/// metadata (the layout carries what is needed): safe on any thread.
std::size_t RecodeBasket(const TBasket &basket, const baler::codec::Layout &layout, const baler::codec::Spec &spec,
                         const baler::codec::Model *model, const baler::codec::MemberContext *member,
                         unsigned char *tgt, std::size_t tgtCapacity, bool &usedModel);

/// RecodeBasket for bytes [begin, end) of the object only (a basket with floats, whose blocks a
/// reader decodes after those of the bytes before `begin`): the parts of a large basket can be
/// coded on several threads and their blocks joined. Returns 0 where the part's blocks do not fit.
std::size_t RecodeBasketPart(const TBasket &basket, const baler::codec::Layout &layout, const baler::codec::Spec &spec,
                             const baler::codec::Model *model, const baler::codec::MemberContext *member,
                             std::size_t begin, std::size_t end, unsigned char *tgt, std::size_t tgtCapacity,
                             bool &usedModel);

/// Gives the float and double values of `basket`'s object (as read from a file: its object length is
/// known; `layout` from DescribeBasket) exactly the values a Baler block of `spec` would decode to,
/// in place; every other byte stays. Returns true when a byte changed. Touches no ROOT metadata.
bool ApplySpecToObject(TBasket &basket, const baler::codec::Layout &layout, const baler::codec::Spec &spec,
                       const baler::codec::Model *model);

/// The same for a basket that was never written (kept in memory, e.g. inside its tree's key: its
/// data ends at fLast, its entry offsets are in memory). A basket that Baler cannot code (no
/// floats) is left as it is.
bool ApplySpecInPlace(TBasket &basket, const baler::codec::Spec &spec, const baler::codec::Model *model);

/// The branches whose baskets of the same entries the Baler blocks of a stored basket's payload
/// (`size` bytes, ROOT's block headers included) are decoded with: an object member's context
/// members and the member its entry offsets derive from; empty for any other payload (a damaged
/// one included: its reader says what is wrong).
std::vector<std::string> StoredContextBranches(const unsigned char *payload, std::size_t size);

/// Adds to `ids` the models the Baler blocks of a stored basket's payload (as for
/// StoredContextBranches) were coded with; false where a block cannot be read, whose model is then
/// unknown (a payload of ROOT's own compression names none and is true).
bool StoredModelIds(const unsigned char *payload, std::size_t size, std::set<std::string> &ids);

/// Decodes one Baler block (header included, `srcSize` bytes) into `tgt`; returns the decoded size.
/// A block coded through a model gets it from ModelStore (the model's absence is an error naming it);
/// an object member's block gets its context from `fetchContext` (none given: such a block is an error).
std::size_t DecompressBalerBlock(const unsigned char *src, std::size_t srcSize, unsigned char *tgt,
                                 std::size_t tgtCapacity, const ContextFetcher &fetchContext = {});

/// What one Baler block (header included, at most `srcSize` bytes) holds, from its section headers:
/// e.g. `f32 bits:10`, `f32 ae:bits:7:<model id>`, `none` without floats (`baler inspect`).
/// Throws baler::codec::Error for a block that is not a well-formed Baler block.
std::string DescribeBalerBlock(const unsigned char *src, std::size_t srcSize);

} // namespace Baler::Internal

#endif
