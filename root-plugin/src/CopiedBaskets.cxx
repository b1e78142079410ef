#include "CopiedBaskets.h"

#include "BasketKeyCheck.h"
#include "BasketLayout.h"
#include "CodecSelection.h"
#include "ModelStore.h"
#include "RootBlockHeader.h"

#include "TBranch.h"
#include "TClass.h"
#include "TDatime.h"
#include "TDirectory.h"
#include "TError.h"
#include "TFile.h"
#include "TKey.h"
#include "TLeaf.h"
#include "TObjArray.h"
#include "TTree.h"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_set>
#include <string>
#include <utility>
#include <vector>

namespace Baler::Internal {
namespace {

/// What this process knows of the baskets of one file.
struct FileBaskets {
   std::unordered_set<Long64_t> written; ///< keys of baskets TBasket::WriteBuffer wrote, not yet passed
   /// "tree path\nbranch" -> its baskets [0, passed) in the file are accounted for. By name, not by
   /// the branch in memory: a tree written and deleted before its file closes (rootcp, or Write
   /// then delete) is read back from its key, as new objects.
   std::map<std::string, Int_t> passed;
};

/// Keyed by the file's UUID: a file object's address is reused once it is deleted. The files no
/// longer open are dropped at each look (ForgetClosedFiles). Never destroyed, as ModelStore's
/// store: files close at exit.
struct Ledger {
   std::mutex mutex;
   std::map<std::string, FileBaskets> files;
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
   /// "tree/branch" -> the spec Baler::SetCodec chose for a branch whose baskets were copied as
   /// stored, which the copy did not apply: a user told nothing would think the values rounded.
   std::map<std::string, std::string> codecsNotApplied;
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

/// When this library was loaded: a process copies a Baler tree only after reading its file, which
/// loads the library (its marker class).
const TDatime gLoaded;

/// Whether the basket record whose key `record` holds was written before this library was loaded,
/// by an earlier process (a tree of a file reopened in UPDATE): ROOT's fast copy gives the keys it
/// writes the time of the copy.
bool WrittenBeforeThisProcess(const std::vector<char> &record)
{
   const std::uint32_t datime = BasketKeyDatime(reinterpret_cast<const unsigned char *>(record.data()), record.size());
   return datime != 0 && datime < gLoaded.Get();
}

/// Reads back the baskets of `branch` stored in `file` from `passed` on that TBasket::WriteBuffer
/// did not write (`known.written`); stops at a basket not written yet, to go on at the next call.
void ReadCopiedBaskets(TBranch &branch, TFile &file, FileBaskets &known, Int_t &passed, CopiedNeeds &needs)
{
   const Int_t *sizes = branch.GetBasketBytes();
   const Int_t baskets = branch.GetWriteBasket();
   std::vector<char> record;
   bool notedCopy = false;
   for (; sizes && passed < baskets; ++passed) {
      const Long64_t seek = branch.GetBasketSeek(passed);
      if (seek <= 0)
         break;
      if (known.written.erase(seek))
         continue;
      const std::size_t keyLength = ReadBasketRecordHead(file, seek, sizes[passed], record);
      // Baler::SetCodec called again on a tree reopened in UPDATE (as the README says) was reported
      // as not applied to its new baskets: its earlier ones, which this process did not write, were
      // taken for a fast copy's (a long-jobs sweep). Their models are still looked for below.
      if (!notedCopy && !(keyLength > 0 && WrittenBeforeThisProcess(record))) {
         // for the policy's report (a copy is not coded under a rule), and SetCodec's warning
         if (const SpecPtr chosen = NoteCopiedAsStored(branch))
            needs.codecsNotApplied[TreePath(*branch.GetTree()) + "/" + branch.GetName()] = chosen->ToString();
         notedCopy = true;
      }
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

/// The trees written into `directory` and its subdirectories since this library was loaded that
/// are no longer in memory (the highest cycle of each), read back from their keys: rootcp, and a
/// macro that deletes its copy before closing the file, leave a fast copy's baskets behind with
/// nothing in memory naming them. (Older keys, of a file opened to be updated, are not read: on a
/// remote file, reading back every basket of its trees would take a round trip each.)
void TreesOnlyInKeys(TDirectory &directory, std::vector<std::unique_ptr<TTree>> &trees)
{
   TList *keys = directory.GetListOfKeys();
   if (!keys)
      return;
   std::set<std::string> seen;
   for (TObject *object : *keys) {
      auto *key = static_cast<TKey *>(object);
      if (!seen.insert(key->GetName()).second) // the keys list holds the highest cycle first
         continue;
      TClass *type = TClass::GetClass(key->GetClassName(), false, true);
      if (type && type->InheritsFrom(TDirectory::Class())) {
         if (auto *sub = directory.GetDirectory(key->GetName()))
            TreesOnlyInKeys(*sub, trees);
      } else if (type && type->InheritsFrom(TTree::Class()) && key->GetDatime().Convert() >= gLoaded.Convert() &&
                 !directory.GetList()->FindObject(key->GetName())) {
         if (auto *tree = key->ReadObject<TTree>())
            trees.emplace_back(tree);
      }
   }
}

/// Drops what the ledger holds of files no longer open, but `keep`'s: a process that writes many
/// files would otherwise hold a record of every basket and branch of each. (A file that is open
/// but not on ROOT's list loses its record too: its baskets are then read back once, which costs
/// time, never a model.)
void ForgetClosedFiles(Ledger &ledger, const std::set<std::string> &open, const std::string &keep)
{
   for (auto it = ledger.files.begin(); it != ledger.files.end();)
      it = open.count(it->first) || it->first == keep ? std::next(it) : ledger.files.erase(it);
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
   TFile *file = branch.GetFile();
   if (!file)
      return;
   const std::string uuid = UuidOf(*file);
   Ledger &ledger = TheLedger();
   std::lock_guard<std::mutex> lock(ledger.mutex);
   ledger.files[uuid].written.insert(seekKey);
}

void CarryModelsOfCopiedBaskets(TFile &file)
{
   if (!file.IsWritable())
      return;
   std::vector<TTree *> trees;
   TreesIn(file, trees);
   std::vector<std::unique_ptr<TTree>> readBack;
   TreesOnlyInKeys(file, readBack);
   for (const auto &tree : readBack)
      trees.push_back(tree.get());
   CopiedNeeds needs;
   std::set<std::string> open;
   for (TFile *other : OpenFiles())
      open.insert(UuidOf(*other));
   const std::string uuid = UuidOf(file);
   {
      Ledger &ledger = TheLedger();
      std::lock_guard<std::mutex> lock(ledger.mutex);
      ForgetClosedFiles(ledger, open, uuid);
      FileBaskets &known = ledger.files[uuid];
      for (TTree *tree : trees)
         for (TBranch *branch : FloatBranches(*tree))
            if (branch->GetFile() == &file)
               ReadCopiedBaskets(*branch, file, known, known.passed[TreePath(*tree) + "\n" + branch->GetName()], needs);
   }
   // The copy is written already; it can only be said, while its writer is there to hear it.
   for (const auto &[member, context] : needs.missingContext)
      Error("Baler", "%s: branch %s was copied fast with object-model blocks that are decoded with the values of "
                     "branch %s, which the copy left out: %s cannot be read from this file; copy the tree without "
                     "\"fast\", or keep %s",
            file.GetName(), member.c_str(), context.c_str(), member.c_str(), context.c_str());
   if (!needs.codecsNotApplied.empty()) {
      std::string branches;
      for (const auto &[branch, spec] : needs.codecsNotApplied)
         branches += (branches.empty() ? "" : ", ") + branch + " (" + spec + ")";
      Warning("Baler", "%s: Baler::SetCodec chose a codec for branches whose baskets were then copied as they were "
                       "stored (a fast copy: CopyEntries, CloneTree or TChain::Merge with \"fast\"), which no codec "
                       "changes: %s keep their values and compression as stored; copy without \"fast\" to code them",
              file.GetName(), branches.c_str());
   }
   for (const auto &id : needs.modelIds)
      try {
         NoteModelToCarry(file, FindModelInProcess(id));
      } catch (const std::exception &e) {
         Warning("Baler", "%s: baskets copied into it (a fast copy of a tree) were coded with a model it does not "
                          "hold: %s; they will need BALER_MODEL_PATH to be read",
                 file.GetName(), e.what());
      }
}

std::size_t FilesInCopyLedger()
{
   Ledger &ledger = TheLedger();
   std::lock_guard<std::mutex> lock(ledger.mutex);
   return ledger.files.size();
}

} // namespace Baler::Internal
