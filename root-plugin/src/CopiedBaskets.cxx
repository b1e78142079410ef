#include "CopiedBaskets.h"

#include "BasketKeyCheck.h"
#include "BasketLayout.h"
#include "ModelStore.h"
#include "RootBlockHeader.h"

#include "TBranch.h"
#include "TDirectory.h"
#include "TError.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TObjArray.h"
#include "TTree.h"

#include <map>
#include <mutex>
#include <set>
#include <unordered_set>
#include <string>
#include <utility>
#include <vector>

namespace Baler::Internal {
namespace {

/// What this process knows of one branch's baskets in one file.
struct BranchBaskets {
   std::unordered_set<Long64_t> written; ///< keys of baskets TBasket::WriteBuffer wrote, not yet passed
   Int_t passed = 0;                     ///< baskets [0, passed) of the branch in the file are accounted for
};

/// Keyed by the file and the branch as they are in memory (compared, never dereferenced): a tree
/// copied again into another file is another branch object. Never destroyed, as ModelStore's
/// store: files close at exit.
struct Ledger {
   std::mutex mutex;
   std::map<std::pair<const TFile *, const TBranch *>, BranchBaskets> branches;
};

Ledger &TheLedger()
{
   static auto *ledger = new Ledger;
   return *ledger;
}

/// What the Baler blocks of the baskets copied into a file since the last look need from it.
struct CopiedNeeds {
   std::set<std::string> modelIds; ///< the models the blocks were coded with
   /// (branch, branch of the same tree whose baskets its blocks are decoded with) where the copy's
   /// tree has no such branch: a fast copy of a tree with some branches turned off.
   std::set<std::pair<std::string, std::string>> missingContext;
};

/// Whether `branches` or their sub-branches hold one named `name`. (TTree::GetBranch also searches
/// the tree's leaves, and a tree cloned after SetBranchStatus(name, 0) keeps the leaf of the branch
/// it left out: GetBranch returned a pointer to the deleted branch.)
bool HoldsBranch(TObjArray *branches, const std::string &name)
{
   if (branches)
      for (TObject *object : *branches) {
         auto *branch = static_cast<TBranch *>(object);
         if (name == branch->GetName() || HoldsBranch(branch->GetListOfBranches(), name))
            return true;
      }
   return false;
}

/// Notes what the Baler blocks of one stored basket record of `branch` (its key, then one or more
/// compressed blocks) need: their models, and the branches of an object member's context.
void CollectNeeds(TBranch &branch, const std::vector<char> &record, std::size_t keyLength, CopiedNeeds &needs)
{
   const auto *bytes = reinterpret_cast<const unsigned char *>(record.data());
   std::size_t at = keyLength;
   while (at + kRootHeaderSize <= record.size() && IsBalerBlock(bytes + at)) {
      const std::size_t payload = PayloadSize(bytes + at);
      if (at + kRootHeaderSize + payload > record.size())
         return;
      const unsigned char *block = bytes + at + kRootHeaderSize;
      std::string id = baler::codec::BlockModelId(block, payload);
      if (!id.empty())
         needs.modelIds.insert(std::move(id));
      const baler::codec::BlockContext context = baler::codec::ReadBlockContext(block, payload);
      std::vector<std::string> used = context.context;
      if (!context.offsetsFrom.empty())
         used.push_back(context.offsetsFrom);
      for (const auto &name : used)
         if (!HoldsBranch(branch.GetTree()->GetListOfBranches(), name))
            needs.missingContext.emplace(branch.GetName(), name);
      at += kRootHeaderSize + payload;
   }
}

/// Reads back the baskets of `branch` stored in `file` from `known.passed` on that
/// TBasket::WriteBuffer did not write; stops at a basket not written yet, to go on at the next call.
void ReadCopiedBaskets(TBranch &branch, TFile &file, BranchBaskets &known, CopiedNeeds &needs)
{
   const Int_t *sizes = branch.GetBasketBytes();
   const Int_t baskets = branch.GetWriteBasket();
   std::vector<char> record;
   for (; sizes && known.passed < baskets; ++known.passed) {
      const Long64_t seek = branch.GetBasketSeek(known.passed);
      if (seek <= 0)
         break;
      if (known.written.erase(seek))
         continue;
      const std::size_t keyLength = ReadBasketRecordHead(file, seek, sizes[known.passed], record);
      if (keyLength == 0)
         continue;
      try {
         CollectNeeds(branch, record, keyLength, needs); // none unless the first block is Baler's
      } catch (const std::exception &) {
         // a damaged block: its reader will say so, with the branch and entries
      }
   }
}

/// The trees `directory` and its subdirectories hold in memory.
void TreesIn(TDirectory &directory, std::vector<TTree *> &trees)
{
   if (TList *objects = directory.GetList())
      for (TObject *object : *objects) {
         if (auto *tree = dynamic_cast<TTree *>(object))
            trees.push_back(tree);
         else if (auto *sub = dynamic_cast<TDirectory *>(object))
            TreesIn(*sub, trees);
      }
}

/// The branches of `tree` whose leaves hold floats: the only ones Baler codes lossily, and the
/// only ones whose blocks name a model.
std::set<TBranch *> FloatBranches(TTree &tree)
{
   std::set<TBranch *> branches;
   if (TObjArray *leaves = tree.GetListOfLeaves())
      for (TObject *object : *leaves)
         if (TBranch *branch = static_cast<TLeaf *>(object)->GetBranch())
            if (HasCodableFloatLeaf(*branch))
               branches.insert(branch);
   return branches;
}

} // namespace

void NoteBasketWritten(TBranch &branch, Long64_t seekKey)
{
   Ledger &ledger = TheLedger();
   std::lock_guard<std::mutex> lock(ledger.mutex);
   ledger.branches[{branch.GetFile(), &branch}].written.insert(seekKey);
}

void CarryModelsOfCopiedBaskets(TFile &file)
{
   if (!file.IsWritable())
      return;
   std::vector<TTree *> trees;
   TreesIn(file, trees);
   CopiedNeeds needs;
   {
      Ledger &ledger = TheLedger();
      std::lock_guard<std::mutex> lock(ledger.mutex);
      std::set<const TBranch *> inMemory;
      for (TTree *tree : trees)
         for (TBranch *branch : FloatBranches(*tree))
            if (branch->GetFile() == &file) {
               inMemory.insert(branch);
               ReadCopiedBaskets(*branch, file, ledger.branches[{&file, branch}], needs);
            }
      // A branch no longer in memory has been deleted: its records go (its pointer may be reused).
      for (auto it = ledger.branches.lower_bound({&file, nullptr}); it != ledger.branches.end() && it->first.first == &file;)
         it = inMemory.count(it->first.second) ? std::next(it) : ledger.branches.erase(it);
   }
   // The copy is written already; it can only be said, while its writer is there to hear it.
   for (const auto &[member, context] : needs.missingContext)
      Error("Baler", "%s: branch %s was copied fast with object-model blocks that are decoded with the values of "
                     "branch %s, which the copy left out: %s cannot be read from this file; copy the tree without "
                     "\"fast\", or keep %s",
            file.GetName(), member.c_str(), context.c_str(), member.c_str(), context.c_str());
   for (const auto &id : needs.modelIds)
      try {
         NoteModelToCarry(file, FindModelInProcess(id));
      } catch (const std::exception &e) {
         Warning("Baler", "%s: baskets copied into it (a fast copy of a tree) were coded with a model it does not "
                          "hold: %s; they will need BALER_MODEL_PATH to be read",
                 file.GetName(), e.what());
      }
}

} // namespace Baler::Internal
