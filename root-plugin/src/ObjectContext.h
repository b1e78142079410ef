// The context of object models: a member's basket (Jet_E) is coded with the decoded values of
// its context members' baskets (Jet_Px, Jet_Py, Jet_Pz) for the same entries (docs/design.md).
//
// Writing: a carrier's basket, once ROOT has written it compressed, leaves its decoded values in
// a process-wide cache keyed by file, tree path and write generation, branch and entry range; a
// member's basket takes its context from there, and is coded without context when it is not there
// (yet): always correct.
// Reading: the plugin fetches the context baskets itself, by the branches' own basket tables and
// a read of its own from the file (no TFile, TTreeCache or basket state of ROOT's is touched),
// decodes them through the same codec and caches them (by where each basket is stored: the same
// tree path and entries may name another basket later); once a member has named a branch as its
// context, ROOT's own decoding of that branch's baskets fills the cache too (KeepReadCarrier), so
// that reading a whole collection decodes each carrier basket once. Context members are carriers,
// coded without context, so reading a member fetches at most one level of other baskets.
#ifndef BALER_OBJECTCONTEXT_H
#define BALER_OBJECTCONTEXT_H

#include "baler/codec.hpp"

#include "RtypesCore.h"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

class TBasket;
class TBranch;
class TFile;
class TTree;

namespace Baler::Internal {

/// A carrier basket's decoded values: its floats (the float context of predicted members) and its
/// I32 values (ROOT's entry offsets, from which the other members' baskets derive theirs).
using ContextValues = std::shared_ptr<const baler::codec::ContextBasket>;

/// What an object member's block needs, fetched: each context member's values (in the block's
/// order) and the basket its entry offsets derive from (null when they are stored).
struct FetchedContext {
   std::vector<ContextValues> values;
   ContextValues offsets;
};

/// The context an object member's block needs cannot be fetched: not a damaged block.
class ContextUnavailable : public baler::codec::Error {
public:
   using baler::codec::Error::Error;
};

/// The block being decoded is not one of the basket this thread reads (or none is read): its
/// context cannot be known. TTreeCacheUnzip unzips baskets ahead of the reader, in its tasks and
/// on the reading thread, where no hook names them; ROOT reads such a basket again when the
/// reader gets to it, with its context.
class NotTheReadingBasket : public ContextUnavailable {
public:
   using ContextUnavailable::ContextUnavailable;
};

/// How one basket of an object model's member is coded while it is written.
struct MemberWrite {
   baler::codec::MemberContext context; ///< member name, entries, pointers into `held`
   std::vector<ContextValues> held;     ///< keeps the context values alive while coding
   ContextValues offsetsSource;         ///< the offsets source's basket, when cached
   bool carrier = false;                ///< a member without context: others may use its values
   std::string cacheKey;                ///< where a carrier's decoded values go
   std::string lineage;                 ///< written through ROOT: the carrier's branch in its tree's generation
};

/// The coding of `basket` (being written, on this thread) as a member of the object model `model`:
/// nullptr when the branch is not one of its members. The context values are those cached for the
/// same entries in the same generation of the tree (EndWriteGenerations; a branch's basket that
/// does not start after its last one starts a new generation too); a member whose context is not
/// (all) cached gets none and is coded per value.
std::unique_ptr<MemberWrite> PrepareMemberWrite(TBasket &basket, const baler::codec::Model &model);

/// The same for the basket of entries first+entries of branch `branch` of `tree`, being written
/// into `file` by other means than TBasket::WriteBuffer (`baler compress` copies baskets read from
/// another file): `file` and `tree` are the ones readers will fetch the context from.
std::unique_ptr<MemberWrite> PrepareMemberWrite(TFile &file, const TTree &tree, const std::string &branch,
                                                Long64_t first, Long64_t entries, const baler::codec::Model &model);

/// Ends the generation of each tree of `file` written through ROOT: the carriers' values cached
/// so far go to none of the baskets written after this. Called when the file writes its
/// StreamerInfo (TFile::Write, Close): TBufferMerger resets its tree after each Write, and the next
/// baskets start again at entry 0 in a file of the same UUID.
void EndWriteGenerations(TFile &file);

/// The branches whose baskets' cached values PrepareMemberWrite may give the coding of `branch`'s
/// basket of the same entries under `model` (its float context, and the offsets source its entry
/// offsets derive from; empty for the model's first carrier or a branch that is no member): a
/// writer that codes several baskets at once (`baler compress`) codes and finishes those first.
std::vector<std::string> WriteContextBranches(const baler::codec::Model &model, const std::string &branch);

/// A carrier's decoded values, from what its basket (`objlen` decoded bytes) was coded into: `size`
/// bytes at `blocks`, ROOT's header included. Null (the other members go without) unless that is
/// one Baler block holding the whole basket, as a member's reader will fetch it, with one column
/// of values. For FinishCarrierWrite.
std::unique_ptr<baler::codec::ContextBasket> CarrierValues(const MemberWrite &write, const unsigned char *blocks,
                                                           std::size_t size, std::size_t objlen);

/// Called once ROOT has written a carrier's basket: caches `decodedValues` (its Baler block's
/// decoded values) when the basket was stored as that one block, and otherwise (null) forgets any
/// values cached for the same entries, so that no member is ever coded with values a reader
/// would not find.
void FinishCarrierWrite(const MemberWrite &write, const baler::codec::ContextBasket *decodedValues);

/// Fetches the context an object member's block needs (`needs`, from the block), for the basket
/// `reading` read from file offset `seek` on this thread: the decoded values of each context
/// member's basket for the same entries, and of the basket its entry offsets derive from. A
/// context basket whose own offsets derive from another's fetches that one too (which must need
/// nothing: at most two levels). Throws baler::codec::Error naming what is missing, and
/// NotTheReadingBasket when the block is not one of `reading`'s (or there is no such basket).
FetchedContext FetchContext(TBasket *reading, Long64_t seek, const baler::codec::BlockContext &needs);

/// Whether a member's block has been read, in this process, with the decoded values of `branch`
/// as its context: then ROOT's own decoding of that branch's baskets is worth keeping
/// (KeepReadCarrier), so that the members read next find their context without decoding it again.
bool IsReadContext(const TBranch &branch);

/// Called once ROOT has read `basket` (at file offset `seek`, `objlen` decoded bytes) of a branch
/// IsReadContext() names, from one Baler block whose float values are `values`: caches them as the
/// context of the members' baskets of the same entries.
void KeepReadCarrier(const TBasket &basket, Long64_t seek, std::size_t objlen, ContextValues values);

/// How many context baskets FetchContext has read from files and decoded in this process (a
/// diagnostic for the tests: a whole collection read decodes each carrier's basket once, by ROOT).
long long ContextBasketsFetched();

/// How many carrier baskets' values the process keeps (a diagnostic for the tests).
long long ContextBasketsCached();

/// The index of the basket at file offset `seek` among `branch`'s baskets, or -1.
Int_t BasketIndexAt(const TBranch &branch, Long64_t seek);

/// The entry after the last entry of basket `index` of `branch` (a written basket).
Long64_t BasketEndEntry(const TBranch &branch, Int_t index);

} // namespace Baler::Internal

#endif
