// A tree copied fast into a file carries the models its Baler blocks were coded with.
//
// ROOT's fast copy (TTree::CloneTree(-1, "fast"), TTree::CopyEntries(..., "fast"), TChain::Merge
// with "fast") writes the input's stored baskets into the new file byte for byte, bypassing
// TBasket::WriteBuffer, and copies nothing else of the input file: the `ae:` and object models
// its blocks refer to (keys `baler_model_<id>`, ModelStore.h) would stay behind, and the copy
// could be read only with BALER_MODEL_PATH. So the baskets that reached a file without passing
// through TBasket::WriteBuffer are read back before ROOT writes the file's StreamerInfo, and the
// models they name go onto the file's list of models to carry.
#ifndef BALER_COPIEDBASKETS_H
#define BALER_COPIEDBASKETS_H

#include "RtypesCore.h"

#include <cstddef>

class TBranch;
class TFile;

namespace Baler::Internal {

/// Notes that `branch` wrote the basket whose key is at `seekKey` of its file through
/// TBasket::WriteBuffer, where the hooks see the model it uses (Hooks.cxx): it needs no reading back.
void NoteBasketWritten(TBranch &branch, Long64_t seekKey);

/// Reads the Baler blocks of the baskets copied into the trees `file` holds in memory (those
/// TBasket::WriteBuffer did not write) since the last call, and notes the models they name for WritePendingModels (found among the models this
/// process knows, in the other open files, or in BALER_MODEL_PATH). A model found nowhere is
/// named in a warning. An object member's blocks copied into a tree that lacks a branch they are
/// decoded with (a fast copy after SetBranchStatus(name, 0)) cannot be read: that is an error.
void CarryModelsOfCopiedBaskets(TFile &file);

/// How many files the record of written baskets holds (a diagnostic for the tests: the files open,
/// at most, once one of them has written its StreamerInfo).
std::size_t FilesInCopyLedger();

} // namespace Baler::Internal

#endif
