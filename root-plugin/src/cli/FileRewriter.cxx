// baler_compress_file (CommandApi.h): rewrites every TTree of a file with Baler, copies the rest.
#include "CommandCommon.h"

#include "Baler/Baler.h"
#include "BasketCodec.h"
#include "BasketKeyCheck.h"
#include "BasketLayout.h"
#include "CodecSelection.h"
#include "FileMarker.h"
#include "ModelStore.h"
#include "RootBlockHeader.h"

#include "RZip.h"
#include "TArrayC.h"
#include "TBasket.h"
#include "TBranch.h"
#include "TBranchRef.h"
#include "TClass.h"
#include "TDirectory.h"
#include "TFile.h"
#include "TKey.h"
#include "TList.h"
#include "TNamed.h"
#include "TROOT.h"
#include "TSeqCollection.h"
#include "TTree.h"
#include "TTreeCloner.h"
#include "TVirtualIndex.h"
#include "TVirtualStreamerInfo.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace Baler::Cli {
namespace {

/// How the selected float/double branches are stored: `bits:N` that a compression setting can
/// express (N <= 23) and `lossless` go into the setting, so that the file itself tells (inspect);
/// every other codec (rel:, abs:, bits:N up to 52 for doubles, ae:) goes through Baler::SetCodec.
struct CodecChoice {
   std::unique_ptr<Baler::Codec> codec;
   std::string spec; ///< canonical
   int settings = kLossless;
   int bits = 0; ///< N of bits:N, else 0
   bool viaSetCodec = false;
};

CodecChoice ChooseCodec(const Baler::Codec &codec)
{
   CodecChoice choice;
   choice.codec = std::make_unique<Baler::Codec>(codec);
   choice.spec = codec.ToString();
   if (choice.spec == "lossless")
      return choice;
   choice.bits = Internal::BitsOfSpec(choice.spec);
   if (choice.bits >= 1 && choice.bits <= kMaxSettingsBits) {
      choice.settings = Settings(choice.bits);
      return choice;
   }
   choice.viaSetCodec = true;
   return choice;
}

/// A shell glob of --branches, and whether it selected a float or double branch.
struct BranchGlob {
   std::string glob;
   bool used = false;
};

/// A --policy rule, and whether it was the first match of a float or double branch.
struct PolicyChoice {
   Internal::PolicyRule rule;
   CodecChoice choice;
   bool used = false;

   std::string Text() const { return rule.treeGlob + "/" + rule.branchGlob + "=" + choice.spec; }
};

/// The basket that `baler compress` writes: its key as read from the input file (LoadBasketBuffers,
/// as TTreeCloner does), written to the output file by CopyTo, with Baler's blocks in place of the
/// stored payload where they are smaller.
class RecodingBasket : public TBasket {
public:
   /// Reads the stored key of basket `where` (header and compressed payload) as TTreeCloner does;
   /// the plugin's LoadBasketBuffers hook refuses a header ROOT could not parse safely
   /// (BasketKeyCheck.h), and the header read must match the branch's record of the basket
   /// (`length` bytes at `seek`, `entries` entries).
   /// With `mustDecode` (`baler export`, whose output claims to be a standard file), a payload of
   /// ROOT's compression, which is copied as it is, must also decode to the object its key records.
   void Load(TFile &file, TTree &tree, Long64_t seek, Int_t length, Long64_t entries, const std::string &where,
             bool mustDecode)
   {
      if (length <= 0 || LoadBasketBuffers(seek, length, &file, &tree) != 0)
         throw Failure(where + " could not be read");
      if (fNbytes != length || fSeekKey != seek || fNevBuf != entries || fKeylen <= 0 || fKeylen > fNbytes ||
          fObjlen < 0 || fLast < fKeylen || fLast > fKeylen + fObjlen)
         throw Failure(where + " is damaged: its key header does not match the branch's record of it");
      // a basket copied as it is must still be one that ROOT (or the plugin) can start to read: its
      // record whole and its first block naming a method. `baler export` promises a file any reader
      // opens, and decodes ROOT's payloads too; `baler compress` copies the payloads of branches
      // it does not select undecoded, as hadd does, so a block damaged inside its payload reads as
      // failed in the output as it does in the input
      const auto *record = reinterpret_cast<const unsigned char *>(fBufferRef->Buffer());
      if (StoredRaw()) {
         const std::string damage = Internal::ZippedBlockStoredAsObject(record, fNbytes, fNbytes);
         if (!damage.empty())
            throw Failure(where + " is damaged: " + damage);
      } else if (fNbytes - fKeylen < static_cast<Int_t>(Internal::kRootHeaderSize) ||
                 !Internal::CompressionMethodOfBlock(record + fKeylen)) {
         throw Failure(where + " is damaged: " + Internal::kNoCompressionMethod + ", so no reader can decode it");
      } else if (mustDecode && !HoldsBalerBlock() && !PayloadDecodes()) {
         throw Failure(where + " is damaged: its blocks do not decode to the " + std::to_string(fObjlen) +
                       " bytes its key records");
      }
   }

   /// Whether the zipped payload decodes, block after block, to exactly the object's length.
   bool PayloadDecodes() const
   {
      std::vector<unsigned char> object(static_cast<std::size_t>(fObjlen));
      return Internal::UnzipKeyPayload(reinterpret_cast<const unsigned char *>(fBufferRef->Buffer() + fKeylen),
                                       static_cast<std::size_t>(fNbytes - fKeylen), object.data(), object.size());
   }

   /// Replaces the stored payload by `size` bytes of blocks; `size` must be no larger than the stored
   /// payload unless `mayGrow` (a stored block that must not stay). The header (object length,
   /// entries, fLast) stays.
   void ReplacePayload(const unsigned char *blocks, std::size_t size, bool mayGrow)
   {
      if (static_cast<Long64_t>(size) > fNbytes - fKeylen) {
         if (!mayGrow)
            throw Failure("a recoded basket must not be larger than the stored one");
         if (size > static_cast<std::size_t>(INT_MAX - fKeylen))
            throw Failure("a recoded basket is too large for a key");
         if (fBufferRef->BufferSize() < fKeylen + static_cast<Int_t>(size))
            fBufferRef->Expand(fKeylen + static_cast<Int_t>(size));
      }
      std::memcpy(fBufferRef->Buffer() + fKeylen, blocks, size);
      fNbytes = fKeylen + static_cast<Int_t>(size);
   }

   /// Whether the payload is the object itself: ROOT stores a basket uncompressed where zipping
   /// does not make it smaller (or at compression level 0).
   bool StoredRaw() const { return fNbytes - fKeylen == fObjlen; }

   /// Adds the models the payload's Baler blocks were coded with to `ids`; false where a block
   /// cannot be read (Internal::StoredModelIds).
   bool AddModelIds(std::set<std::string> &ids) const
   {
      return StoredRaw() || Internal::StoredModelIds(reinterpret_cast<const unsigned char *>(fBufferRef->Buffer() + fKeylen),
                                                     fNbytes - fKeylen, ids);
   }

   /// Whether the payload opens with a Baler block (whatever the branch's setting says).
   bool HoldsBalerBlock() const
   {
      return !StoredRaw() && fNbytes - fKeylen >= static_cast<Int_t>(Internal::kRootHeaderSize) &&
             Internal::IsBalerBlock(reinterpret_cast<const unsigned char *>(fBufferRef->Buffer() + fKeylen));
   }

   /// Replaces the object of a basket stored raw by `object` (fObjlen bytes).
   void ReplaceRawObject(const char *object)
   {
      if (!StoredRaw())
         throw Failure("only a basket stored uncompressed can take its object back uncompressed");
      std::memcpy(fBufferRef->Buffer() + fKeylen, object, fObjlen);
   }
};

/// `size` bytes zipped as TBasket::WriteBuffer zips a basket with compression `settings` (blocks of
/// at most 16 MiB each) into `tgt`; 0 when the settings do not compress or the blocks do not fit
/// (give room to spare: zstd fails a target smaller than its bound even where the result would fit).
std::size_t ZipAsRoot(const char *src, std::size_t size, int settings, unsigned char *tgt, std::size_t capacity)
{
   const int level = settings % 100;
   if (settings < 0 || level == 0)
      return 0;
   const auto algorithm = static_cast<ROOT::RCompressionSetting::EAlgorithm::EValues>(settings / 100);
   std::size_t written = 0;
   for (std::size_t begin = 0; begin < size; begin += Internal::kMaxRootBlockSize) {
      int srcSize = static_cast<int>(std::min(Internal::kMaxRootBlockSize, size - begin));
      int tgtSize = static_cast<int>(std::min<std::size_t>(capacity - written, INT_MAX));
      int zipped = 0;
      R__zipMultipleAlgorithm(level, &srcSize, const_cast<char *>(src + begin), &tgtSize,
                              reinterpret_cast<char *>(tgt + written), &zipped, algorithm);
      if (zipped <= 0)
         return 0;
      written += zipped;
   }
   return written;
}

/// `baler export`: the object of `decoded` zipped with ROOT's compression `settings` into `out`
/// (at least the object's size), or the object itself where that is not smaller, as
/// TBasket::WriteBuffer stores a basket; returns the payload's size.
std::size_t ZipDecodedForExport(TBasket &decoded, int settings, unsigned char *out, std::size_t capacity)
{
   const char *object = decoded.GetBufferRef()->Buffer() + decoded.GetKeylen();
   const std::size_t objectSize = decoded.GetObjlen();
   const std::size_t zipped = ZipAsRoot(object, objectSize, settings, out, capacity);
   if (zipped > 0 && zipped < objectSize)
      return zipped;
   std::memcpy(out, object, objectSize);
   return objectSize;
}

/// `baler export`: drops the notes `baler compress` leaves in a tree's UserInfo (kCodecNotePrefix,
/// kInputNotePrefix), and notes for each branch the specs its values came through (`held`:
/// kExportNotePrefix), in place of an earlier export's note.
void NoteExportedValues(TTree &tree, const std::vector<TBranch *> &branches, const std::vector<std::set<std::string>> &held)
{
   TList *notes = tree.GetUserInfo();
   std::vector<TObject *> gone;
   for (TObject *note : *notes) {
      const std::string name = note->GetName();
      if (name.rfind(kCodecNotePrefix, 0) == 0 || name.rfind(kInputNotePrefix, 0) == 0)
         gone.push_back(note);
   }
   for (std::size_t i = 0; i < branches.size(); ++i) {
      if (held[i].empty())
         continue;
      const std::string name = kExportNotePrefix + std::string(branches[i]->GetName());
      if (TObject *earlier = notes->FindObject(name.c_str()))
         gone.push_back(earlier);
      notes->Add(new TNamed(name.c_str(), Joined(held[i]).c_str()));
   }
   for (TObject *note : gone)
      delete notes->Remove(note);
}

/// What the key of an object is to the rewrite: a folder it walks, a tree it rewrites (its highest
/// cycle), or another object it copies as stored (every cycle).
enum class KeyKind { kDirectory, kTree, kObject };

KeyKind KindOf(TKey &key)
{
   // Without loading a library: the classes this command opens (directories, trees) are loaded
   // already, and any other object is copied as its stored bytes.
   TClass *cls = TClass::GetClass(key.GetClassName(), /*load=*/false, /*silent=*/true);
   if (cls && cls->InheritsFrom(TDirectory::Class()))
      return KeyKind::kDirectory;
   if (cls && cls->InheritsFrom(TTree::Class()))
      return KeyKind::kTree;
   return KeyKind::kObject;
}

/// Why the tree `earlier`, a lower cycle of `last`, is not an earlier snapshot of it, or empty
/// where it is one. TTree::AutoSave writes a tree's header again over the same baskets: a
/// snapshot has the same branches, no more entries, and every basket it names stored where `last`
/// names it too. Only then does writing the highest cycle alone lose nothing; two trees written
/// under one name are two trees.
std::string WhyNotASnapshot(TTree &earlier, TTree &last)
{
   if (earlier.GetEntries() > last.GetEntries())
      return "it holds more entries (" + std::to_string(earlier.GetEntries()) + " against " +
             std::to_string(last.GetEntries()) + ")";
   const std::vector<TBranch *> before = AllBranches(earlier), after = AllBranches(last);
   if (before.size() != after.size())
      return "its branches are not the same";
   for (std::size_t i = 0; i < before.size(); ++i) {
      if (std::string(before[i]->GetName()) != after[i]->GetName())
         return "its branches are not the same";
      const Int_t written = before[i]->GetWriteBasket();
      if (written > after[i]->GetWriteBasket())
         return std::string("branch ") + before[i]->GetName() + " has baskets the later cycle does not";
      for (Int_t k = 0; k < written; ++k)
         if (before[i]->GetBasketSeek(k) != after[i]->GetBasketSeek(k))
            return std::string("branch ") + before[i]->GetName() + "'s baskets are not the later cycle's";
   }
   return {};
}

/// A basket on file of one branch of the tree being copied.
struct StoredBasket {
   std::size_t branch; ///< index in the rewriter's list of branches
   Int_t index;        ///< in the branch
   Long64_t seek;
   Long64_t firstEntry;
};

/// Room for the blocks coded from one basket, left uninitialised: the coder touches only the bytes
/// it writes, where a zero-filled vector cleared the whole room for every basket.
class BlockRoom {
public:
   void Allocate(std::size_t size)
   {
      fBytes.reset(new unsigned char[size]);
      fSize = size;
   }
   void Release()
   {
      fBytes.reset();
      fSize = 0;
   }
   unsigned char *data() { return fBytes.get(); }
   std::size_t size() const { return fSize; }

private:
   std::unique_ptr<unsigned char[]> fBytes;
   std::size_t fSize = 0;
};

/// One basket of a window of baskets being copied: its stored key, its decoded basket (for a
/// branch that a spec selects) and the Baler blocks coded from it.
struct BasketSlot {
   const StoredBasket *stored = nullptr;
   RecodingBasket key;
   std::unique_ptr<TBasket> decoded; ///< taken from the input branch (BranchAccess::TakeBasket)
   baler::codec::Layout layout; ///< of `decoded`, described on the reading thread (it reads ROOT's metadata)
   BlockRoom blocks;
   std::size_t size = 0; ///< of the blocks coded; 0: the stored payload stays
   bool balerBlocks = false; ///< `blocks` are Baler's; else the rounded object zipped as the input was
   bool roundedRaw = false;  ///< the stored payload is the raw object: it takes the rounded values
   bool usedModel = false;
   /// The order of its coding in the window: after the baskets of the branches its context comes
   /// from (Rewriter::CodingStages)
   unsigned stage = 0;
   std::unique_ptr<Internal::MemberWrite> member; ///< its coding as an object model's member
   std::unique_ptr<baler::codec::ContextBasket> carrierValues; ///< a carrier's decoded values, if they serve as context
   /// The stored payload is an object member's block whose context comes from these branches (by
   /// index), which this run codes again: it may not stay as it is unless their baskets do.
   std::vector<std::size_t> storedContext;
   std::string error;
};

/// Whether a carrier's stored payload gives the members of this run the values its new blocks gave
/// them (its values were already on the spec's grid, as a second run at one spec finds them): it
/// may then stay as stored, where it would otherwise have grown by a few bytes to hold the same values.
bool StoredCarrierGivesTheSameValues(BasketSlot &slot)
{
   if (slot.key.StoredRaw())
      return false;
   const auto *payload = reinterpret_cast<const unsigned char *>(slot.key.GetBufferRef()->Buffer() + slot.key.GetKeylen());
   const auto stored = Internal::CarrierValues(*slot.member, payload, slot.key.GetNbytes() - slot.key.GetKeylen(),
                                               slot.decoded->GetObjlen());
   const baler::codec::ContextBasket &fresh = *slot.carrierValues;
   return stored && stored->ints == fresh.ints && stored->floats.size() == fresh.floats.size() &&
          std::memcmp(stored->floats.data(), fresh.floats.data(), fresh.floats.size() * sizeof(double)) == 0;
}

/// A basket whose Baler blocks would not be smaller than its stored payload (a few values) still
/// takes the values those blocks would give, as a basket written through the plugin does: its
/// rounded object is zipped as the input was (`storedSettings`) where that fits in the room of
/// `slot.blocks` and is smaller than the object, else, stored raw, it is rounded in place
/// (`roundedRaw`); otherwise it stays. A payload of the object's length or more is read by ROOT
/// as the raw object (TBasket::ReadBasketBuffers unzips only a shorter one), so a zipped one of
/// exactly that length, which fits in the room of a raw-stored basket, was read as floats.
void RoundWithoutBalerBlocks(BasketSlot &slot, const baler::codec::Spec &spec, const baler::codec::Model *model,
                             int storedSettings)
{
   if (!Internal::ApplySpecToObject(*slot.decoded, slot.layout, spec, model))
      return;
   const char *object = slot.decoded->GetBufferRef()->Buffer() + slot.decoded->GetKeylen();
   const std::size_t objectSize = slot.decoded->GetObjlen();
   std::vector<unsigned char> zipped(objectSize + objectSize / 8 + 1024);
   const std::size_t size = ZipAsRoot(object, objectSize, storedSettings, zipped.data(), zipped.size());
   if (size > 0 && size < objectSize && size <= slot.blocks.size()) {
      std::memcpy(slot.blocks.data(), zipped.data(), size);
      slot.size = size;
   }
   slot.roundedRaw = slot.size == 0 && slot.key.StoredRaw();
}

/// At most this many baskets, and about this many bytes of them (stored payloads, decoded baskets
/// and room for their new blocks), are held at a time. Counting only the decoded bytes let a window
/// of a 2 GB file's multi-megabyte baskets hold 1.7x hadd's peak memory.
constexpr std::size_t kWindowBaskets = 64;
constexpr std::size_t kWindowBytes = std::size_t(64) << 20;
/// A basket kept in the tree's key from this many bytes on is written as a key of its own, through
/// Baler, under a lossy spec: twice ROOT's default basket size, which only a tree written without a
/// last FlushBaskets keeps in its key (uproot-issue79.root: 1.15 MB of one branch's 4 MB); its
/// key's ~75 bytes are then under 0.2% of it. Under `lossless` it stays: its values do not change,
/// and the tree key's compression is then the one it was already stored with.
constexpr Int_t kFlushedKeptBasketBytes = 64 << 10;

/// Helper threads that run one function beside the calling thread, joined on every way out (an
/// exception included) or by Join. `beforeJoin` runs first, so that helpers waiting for more work
/// learn that there is none.
class HelperThreads {
public:
   explicit HelperThreads(std::function<void()> beforeJoin = {}) : fBeforeJoin(std::move(beforeJoin)) {}
   ~HelperThreads() { Join(); }
   HelperThreads(const HelperThreads &) = delete;
   HelperThreads &operator=(const HelperThreads &) = delete;

   /// Starts `work` on enough threads that `total` run it, the calling thread included.
   void Start(std::size_t total, const std::function<void()> &work)
   {
      for (std::size_t t = 1; t < total; ++t)
         fThreads.emplace_back(work);
   }

   void Join()
   {
      if (fBeforeJoin)
         fBeforeJoin();
      for (auto &thread : fThreads)
         thread.join();
      fThreads.clear();
   }

private:
   std::function<void()> fBeforeJoin;
   std::vector<std::thread> fThreads;
};

/// A basket with this many bytes of object or more, coded per value, is coded in parts of half
/// this size to all of it, each a block of its own, on several threads. ROOT sizes a branch's
/// baskets after the first cluster, and the last basket of a file's largest branch may hold
/// megabytes: the generated sample's 5.4 MB of Calo_E was coded by one thread for 40 ms at the end
/// of the run while the other had nothing left to code. Each part's block repeats the headers and
/// pcodec's bins: ~215 bytes each, of ~250 kB at bits:10 there.
constexpr std::size_t kPartedBasketBytes = std::size_t(1) << 20;

/// RecodeBasket, per value (no model, no context), of a basket of kPartedBasketBytes or more: its
/// parts coded on up to `threads` threads (this one and helpers it starts, which share the cores
/// with the other coding threads while those have baskets left) and their blocks joined. The parts
/// depend on the basket's size alone, so that the output is the same at any number of threads.
std::size_t RecodeInParts(const TBasket &basket, const baler::codec::Layout &layout, const baler::codec::Spec &spec,
                          unsigned char *tgt, std::size_t tgtCapacity, unsigned threads)
{
   if (!Internal::HasFloats(layout))
      return 0;
   const std::size_t objectSize = basket.GetObjlen();
   const std::size_t parts = 2 * objectSize / kPartedBasketBytes;
   // part k is [bounds[k], bounds[k + 1]), cut at multiples of 8 bytes of the object (where the
   // values start at its first byte, as in a basket of floats, no value is cut; SliceLayout keeps
   // the bytes of one that is as they are)
   std::vector<std::size_t> bounds(parts + 1, objectSize);
   for (std::size_t k = 0; k < parts; ++k)
      bounds[k] = objectSize * k / parts / 8 * 8;
   std::vector<std::vector<unsigned char>> blocks(parts);
   std::vector<std::size_t> sizes(parts, 0);
   std::vector<std::string> errors(parts);
   std::atomic<std::size_t> nextPart{0};
   auto code = [&] {
      for (std::size_t k; (k = nextPart++) < parts;) {
         try {
            // room for the part's bytes and a block's headers: a part that codes larger than it
            // is leaves the whole basket as it was stored
            blocks[k].resize(bounds[k + 1] - bounds[k] + 4096);
            bool usedModel = false;
            sizes[k] = Internal::RecodeBasketPart(basket, layout, spec, nullptr, nullptr, bounds[k], bounds[k + 1],
                                                  blocks[k].data(), blocks[k].size(), usedModel);
         } catch (const std::exception &e) {
            errors[k] = e.what();
         }
      }
   };
   {
      HelperThreads helpers;
      helpers.Start(std::min<std::size_t>(threads, parts), code);
      code();
   }
   std::size_t written = 0;
   for (std::size_t k = 0; k < parts; ++k) {
      if (!errors[k].empty())
         throw Failure(errors[k]);
      if (sizes[k] == 0 || sizes[k] > tgtCapacity - written)
         return 0;
      std::memcpy(tgt + written, blocks[k].data(), sizes[k]);
      written += sizes[k];
   }
   return written;
}

/// Threads that code a window's baskets when the caller does not say (BalerCompressOptions::threads),
/// the one reading and writing included: one per core, at most 4.
unsigned DefaultCodingThreads()
{
   return std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
}

/// The slots of a window handed to the coding threads as the reading thread fills them, so that
/// coding overlaps reading.
class CodingQueue {
public:
   /// Slots [0, filled) are ready to be coded.
   void Publish(std::size_t filled)
   {
      {
         std::lock_guard<std::mutex> lock(fMutex);
         fFilled = filled;
      }
      fReady.notify_one();
   }

   /// No slot comes after the published ones.
   void Close()
   {
      {
         std::lock_guard<std::mutex> lock(fMutex);
         fClosed = true;
      }
      fReady.notify_all();
   }

   /// The next slot to code, waiting for one to be published; none once closed and all taken.
   std::optional<std::size_t> Take()
   {
      std::unique_lock<std::mutex> lock(fMutex);
      fReady.wait(lock, [this] { return fTaken < fFilled || fClosed; });
      if (fTaken < fFilled)
         return fTaken++;
      return std::nullopt;
   }

private:
   std::mutex fMutex;
   std::condition_variable fReady;
   std::size_t fFilled = 0;
   std::size_t fTaken = 0;
   bool fClosed = false;
};

std::string Where(const std::string &path, TBranch &branch, Int_t basket)
{
   return "tree '" + path + "', branch " + branch.GetName() + ", basket " + std::to_string(basket);
}

/// TTree::ImportClusterRanges is protected; TTreeCloner, a friend, calls it from a private method.
class TreeAccess : public TTree {
public:
   static void ImportClusterRanges(TTree &to, TTree &from) { static_cast<TreeAccess &>(to).TTree::ImportClusterRanges(&from); }
};

/// TBranch::GetBasket keeps the basket it reads in the branch's list, and under TTree's default
/// memory limit (none set: "full") reads the next basket into that same object. A basket taken
/// out of the list belongs to the caller, so that a window can hold several of one branch.
class BranchAccess : public TBranch {
public:
   static std::unique_ptr<TBasket> TakeBasket(TBranch &branch, Int_t index)
   {
      auto &self = static_cast<BranchAccess &>(branch);
      // A fresh basket's buffer starts at the branch's basket size, megabytes once ROOT sized the
      // baskets to a cluster, and reading only grows it: a window of a first cluster's 32 kB
      // baskets held 64 such buffers. It starts at the stored record's size here instead (the input
      // tree is never written, so its basket size serves nothing else).
      const Int_t basketSize = std::exchange(self.fBasketSize, std::min(self.fBasketSize, self.fBasketBytes[index]));
      TBasket *basket = self.GetBasket(index);
      self.fBasketSize = basketSize;
      if (!basket || self.fBaskets.At(index) != basket)
         return nullptr;
      self.fBaskets.RemoveAt(index);
      --self.fNBaskets;
      if (self.fCurrentBasket == basket) {
         self.fCurrentBasket = nullptr;
         self.fFirstBasketEntry = -1;
         self.fNextBasketEntry = -1;
      }
      return std::unique_ptr<TBasket>(basket);
   }
};

/// What the hooks made of a basket this command had ROOT write: its (first) block.
struct WrittenBlock {
   bool baler = false;     ///< a Baler block
   bool usedModel = false; ///< coded through an ae: model
};

WrittenBlock ReadWrittenBlock(TFile &file, TBranch &branch, Int_t index)
{
   std::vector<char> record;
   const std::size_t keyLength =
      Internal::ReadBasketRecordHead(file, branch.GetBasketSeek(index), branch.GetBasketBytes()[index], record);
   const auto *block = reinterpret_cast<const unsigned char *>(record.data()) + keyLength;
   if (keyLength == 0 || !Internal::IsBalerBlock(block))
      return {};
   return {true, DescribeHeldValues(block, record.size() - keyLength).find("ae:") != std::string::npos};
}

/// `baler export`: leaves out of `file`'s StreamerInfo the records of Baler's classes (the marker
/// that makes a reader load libBalerROOT, tagged by KeepStreamerInfos and TTreeCloner as they copy
/// the input's): the file holds no Baler block, and a reader without the plugin must not be told
/// it needs it.
void ForgetAutoloadMarks(TFile &file)
{
   TArrayC *index = file.GetClassIndex();
   TSeqCollection *registered = gROOT->GetListOfStreamerInfo();
   if (!index || !registered)
      return;
   for (Int_t number = 0; number < index->GetSize() && number < registered->GetSize(); ++number)
      if (TObject *info = registered->At(number))
         if (std::strncmp(info->GetName(), "Baler::", 7) == 0)
            (*index)[number] = 0;
}

/// Marks every StreamerInfo record of `in` for writing into `out`. The baskets are copied as they
/// are, so the records that describe their bytes must travel with them. ROOT writes only the records
/// of what it streamed, and ForceWriteInfo skips collections: PHYSLITE's 14 DataVector<xAOD::...>
/// records were dropped, and a reader without the experiment's dictionaries (uproot, plain ROOT)
/// needs them to interpret those objects. ReadStreamerInfo registered each record of the input in
/// gROOT's list under the number the input's class index marks; tagging it for `out`
/// (TagForWriting) is how ROOT notes a record to write. The input's std::vector records are not
/// registered, so they are not kept (as hadd does not): every reader rebuilds them from the name.
void KeepStreamerInfos(TFile &in, TFile &out)
{
   const TArrayC *inIndex = in.GetClassIndex();
   TSeqCollection *registered = gROOT->GetListOfStreamerInfo();
   if (!inIndex || !registered)
      return;
   std::vector<TVirtualStreamerInfo *> kept;
   for (Int_t number = 1; number < inIndex->GetSize() && number < registered->GetSize(); ++number)
      if (inIndex->At(number))
         if (auto *info = dynamic_cast<TVirtualStreamerInfo *>(registered->At(number)))
            kept.push_back(info);
   Internal::TagForWriting(out, kept);
}


struct Rewriter {
   std::vector<PolicyChoice> policy;  ///< first match wins, before `codec`
   std::optional<CodecChoice> codec;  ///< for the float branches that `globs` select
   bool codecUsed = false;            ///< some float or double branch took `codec`
   std::vector<BranchGlob> globs;     ///< none: every float branch
   std::vector<std::string> trees;
   std::set<std::string> rewritten; ///< the --tree names that matched a tree
   std::size_t treesFound = 0;      ///< TTrees in the input, rewritten or copied
   /// `baler export`: every Baler block decoded and zipped with these ROOT compression settings
   /// instead of coding anything with Baler.
   std::optional<int> exportSettings;
   unsigned threads = DefaultCodingThreads(); ///< coding a window's baskets, this one included
   bool fileHasBalerBlocks = false; ///< the output file's own setting becomes Baler's (see RewriteFile)
   std::vector<std::string> treeCyclesLeftOut; ///< trees with lower cycles, as "path;highest (N lower cycles)"
   std::vector<std::string> keptExact; ///< warnings: trees whose baskets in the key kept their values
   /// The input's model keys (`baler_model_<id>`, the highest cycle of each), copied once the trees
   /// are written and only where a block of the output names them (CarryModels).
   std::vector<TKey *> inputModelKeys;
   std::set<std::string> outputModelIds; ///< the models the output's Baler blocks name
   bool outputModelIdsKnown = true;      ///< false: a block could not be read, and every input model is kept
   BalerRowCallback onRow = nullptr;
   BalerProgressCallback onProgress = nullptr;
   void *user = nullptr;

   bool Selected(const std::string &name, const std::string &path)
   {
      if (trees.empty())
         return true;
      bool selected = false;
      for (const auto &t : trees)
         if (t == name || t == path) {
            rewritten.insert(t);
            selected = true;
         }
      return selected;
   }

   /// The codec for a branch of tree `treeName` at `treePath` in the file: its first matching policy
   /// rule, else `codec` when a glob selects it; nullptr for lossless. Only float and double values
   /// are ever coded lossily, so only branches holding them take part (and count as a use of a
   /// rule or a glob).
   const CodecChoice *Choose(const std::string &treeName, const std::string &treePath, TBranch &branch)
   {
      if (!Internal::HasCodableFloatLeaf(branch))
         return nullptr;
      const CodecChoice *chosen = nullptr;
      for (auto &p : policy)
         if (p.rule.Selects(treeName, treePath, branch.GetName())) {
            p.used = true;
            chosen = &p.choice;
            break;
         }
      if (!chosen && codec) {
         bool selected = globs.empty();
         for (auto &g : globs)
            if (GlobMatch(g.glob, branch.GetName()))
               selected = g.used = true;
         if (selected) {
            chosen = &*codec;
            codecUsed = true;
         }
      }
      // bits:N with N > 23 is for doubles: a float has 23 mantissa bits, so it stays exact.
      if (chosen && chosen->bits > kMaxSettingsBits && Internal::HasOnlySinglePrecisionFloats(branch)) {
         ++floatsKeptExact[chosen->spec];
         return nullptr;
      }
      return chosen;
   }

   /// Float branches that a bits:N above a float's 23 mantissa bits selected, by spec: their
   /// baskets stay as stored, which the user is told (they asked for a spec and saw no change).
   std::map<std::string, std::size_t> floatsKeptExact;

   /// The stage in which each branch's baskets are coded in a window: 0, or for an object model's
   /// member, one past the stages of the branches whose decoded values it is coded with
   /// (WriteContextBranches). A window's stages are coded one after the other, and the carriers'
   /// values of each are cached (FinishCarrierWrite) before the next, in the window's order: a
   /// member gets its context exactly when its carriers' baskets of the same entries took Baler
   /// blocks in this window or an earlier one, at any number of threads. `byName`: each branch's index.
   static std::vector<unsigned> CodingStages(const std::vector<TBranch *> &branches,
                                             const std::map<std::string, std::size_t> &byName,
                                             const std::vector<Internal::ModelPtr> &models)
   {
      std::vector<std::vector<std::size_t>> needs(branches.size());
      std::vector<unsigned> stages(branches.size(), 0);
      for (std::size_t i = 0; i < branches.size(); ++i) {
         if (!models[i])
            continue;
         for (const auto &name : Internal::WriteContextBranches(*models[i], branches[i]->GetName())) {
            stages[i] = 1;
            const auto found = byName.find(name);
            if (found != byName.end() && found->second != i)
               needs[i].push_back(found->second);
         }
      }
      // a model's members depend on each other without cycles; the bound only keeps a bad one finite
      for (std::size_t round = 0; round < branches.size(); ++round) {
         bool changed = false;
         for (std::size_t i = 0; i < branches.size(); ++i)
            for (const std::size_t j : needs[i])
               if (stages[i] <= stages[j] && stages[j] < branches.size()) {
                  stages[i] = stages[j] + 1;
                  changed = true;
               }
         if (!changed)
            break;
      }
      return stages;
   }

   void CopyDirectory(TDirectory &in, TDirectory &out, const std::string &prefix)
   {
      // Every cycle of each name, lowest first: copied in that order, they keep their order in the
      // output (cycles are numbered as keys are added) and the highest stays the one Get returns.
      std::map<std::string, std::vector<TKey *>> cycles;
      for (auto *listed : TRangeDynCast<TKey>(in.GetListOfKeys()))
         if (listed)
            cycles[listed->GetName()].push_back(listed);
      for (auto &[unused, keys] : cycles)
         std::sort(keys.begin(), keys.end(), [](TKey *a, TKey *b) { return a->GetCycle() < b->GetCycle(); });
      std::set<std::string> done;
      for (auto *listed : TRangeDynCast<TKey>(in.GetListOfKeys())) {
         if (!listed || !done.insert(listed->GetName()).second)
            continue;
         const std::vector<TKey *> &keys = cycles[listed->GetName()];
         TKey *key = keys.back(); // the highest cycle
         const std::string name = key->GetName();
         const std::string path = prefix.empty() ? name : prefix + "/" + name;
         const std::string command = exportSettings ? "export" : "compress";
         // An RNTuple's anchor refers to its pages by file offset: copying the anchor alone would
         // write a file that has the name and none of the data. Refuse rather than lose it.
         if (IsRNTupleClass(key->GetClassName()))
            throw Failure("object '" + path + "' is an RNTuple (" + key->GetClassName() + "): baler " + command +
                          " rewrites TTrees and cannot copy an RNTuple's pages");
         const KeyKind kind = KindOf(*key);
         // A name whose cycles are a tree and another object: a tree's lower cycles are left out
         // and an object's cycles are copied as stored, which would lose the one or copy a tree's
         // header without its baskets.
         for (TKey *cycle : keys)
            if (KindOf(*cycle) != kind)
               throw Failure("'" + path + "' names a " + cycle->GetClassName() + " in cycle " +
                             std::to_string(cycle->GetCycle()) + " and a " + key->GetClassName() + " in cycle " +
                             std::to_string(key->GetCycle()) + ": baler " + command +
                             " cannot keep both under one name; write them under different names");
         if (kind == KeyKind::kDirectory) {
            auto *sub = in.GetDirectory(name.c_str());
            TDirectory *target = out.mkdir(name.c_str(), key->GetTitle());
            if (!sub || !target)
               throw Failure("cannot copy directory '" + path + "'");
            CopyDirectory(*sub, *target, path);
         } else if (kind == KeyKind::kTree) {
            auto *tree = dynamic_cast<TTree *>(key->ReadObj());
            if (!tree)
               throw Failure("cannot read tree '" + path + "'");
            // A tree's lower cycles are its earlier headers (TTree::AutoSave), which name the same
            // baskets up to an earlier entry: as hadd, the rewrite keeps the last, and says so,
            // once each is seen to be one.
            for (std::size_t c = 0; c + 1 < keys.size(); ++c) {
               std::unique_ptr<TTree> earlier(dynamic_cast<TTree *>(keys[c]->ReadObj()));
               const std::string why = earlier ? WhyNotASnapshot(*earlier, *tree) : "it cannot be read";
               if (!why.empty()) {
                  delete tree;
                  throw Failure("tree '" + path + "': cycle " + std::to_string(keys[c]->GetCycle()) +
                                " is not an earlier snapshot of cycle " + std::to_string(key->GetCycle()) + " (" + why +
                                "), and baler " + command +
                                " writes a tree's highest cycle only; write the trees under different names");
               }
            }
            if (keys.size() > 1)
               treeCyclesLeftOut.push_back(path + ";" + std::to_string(key->GetCycle()) + " (" +
                                           std::to_string(keys.size() - 1) + " lower cycle" +
                                           (keys.size() == 2 ? "" : "s") + ")");
            ++treesFound;
            if (Selected(name, path))
               RewriteTree(*tree, out, path);
            else
               CopyTree(*tree, out, path);
            delete tree;
         } else if (exportSettings && Internal::IsModelKeyName(name)) {
            continue; // an exported file holds no Baler block that would need the model
         } else if (prefix.empty() && Internal::IsModelKeyName(name)) {
            inputModelKeys.push_back(key); // its cycles hold the same bytes (the id is their hash)
         } else {
            // Each cycle's key as stored, with a header for the output directory: no object is
            // streamed, so no class needs a library (an experiment's metadata classes have none
            // here) and the object keeps its compression. The output directory owns the new keys.
            for (TKey *cycle : keys) {
               auto *copied = new TKey(&out, *cycle, 0);
               if (!RootMessages::FirstError().empty() || copied->WriteFile(0) < 0)
                  throw Failure("cannot copy object '" + path + "' of class " + cycle->GetClassName() +
                                (RootMessages::FirstError().empty() ? "" : ": " + RootMessages::FirstError()));
            }
         }
      }
   }

   /// Rewrites `inPath` into `outPath` (written under a temporary name, renamed on success);
   /// returns the warnings: an input ROOT had to recover, and those about models (an `ae:` spec's
   /// that coded no basket, and those blocks need that nothing holds: CarryModels).
   std::vector<std::string> RewriteFile(const char *inPath, const char *outPath)
   {
      OutputFile output(outPath, {inPath});
      std::unique_ptr<TFile> in(OpenInput(inPath));
      // Declared after `output`: on failure the file is closed before its temporary is removed.
      std::unique_ptr<TFile> out(output.Create());
      if (!out || out->IsZombie())
         throw Failure("cannot create a temporary file for '" + std::string(outPath) + "'");
      // The trees' own headers take the input's compression (export: the settings asked for);
      // other objects are copied as stored.
      out->SetCompressionSettings(exportSettings ? *exportSettings : in->GetCompressionSettings());
      RootMessages::Clear(); // ROOT's errors from here on fail the command
      CopyDirectory(*in, *out, "");
      // An output with no tree looked like a success (a table of 0 branches, exit 0); where the
      // job that wrote the input was cut short before its tree was saved, only its first keys
      // (an `ae:` model, written with the first basket) are there
      if (treesFound == 0)
         throw Failure("'" + std::string(inPath) + "' holds no TTree" +
                       (in->TestBit(TFile::kRecovered)
                           ? " (it was not closed: ROOT recovered its objects from the records it holds, and none is a "
                             "tree; the job that wrote it was cut short before the tree was saved)"
                           : "") +
                       ": nothing to " + (exportSettings ? "export" : "compress"));
      for (const auto &t : trees)
         if (!rewritten.count(t))
            throw Failure("no tree '" + t + "' in '" + std::string(inPath) + "'");
      // Globs that code nothing, and no rule that codes anything else, leave a copy of the input:
      // that ended in a warning and exit status 0, where a --tree naming no tree fails.
      const auto used = [](const BranchGlob &g) { return g.used; };
      if (!globs.empty() && policy.empty() && std::none_of(globs.begin(), globs.end(), used)) {
         std::string named;
         for (const auto &g : globs)
            named += (named.empty() ? "'" : ", '") + g.glob + "'";
         throw Failure("--branches " + named + " selects no float or double branch of '" + inPath +
                       "': nothing to compress");
      }
      std::vector<std::string> warnings = CarryModels(*out);
      warnings.insert(warnings.end(), keptExact.begin(), keptExact.end());
      // ROOT opens a file that was never closed (a job cut short, or one still writing) by scanning
      // its records for keys, and says so in a warning of its own that names no consequence.
      if (in->TestBit(TFile::kRecovered))
         warnings.insert(warnings.begin(), std::string("'") + inPath + "' was not closed (cut short, or still being "
                                           "written): ROOT recovered its objects from the records it holds, and '" +
                                           outPath + "' holds those; a tree may lack its last entries");
      KeepStreamerInfos(*in, *out);
      if (exportSettings)
         ForgetAutoloadMarks(*out);
      // The models go in before TFile::Write writes the list of keys: written from its StreamerInfo
      // hook, after that list, they make Close write the list again and leave a hole where the first
      // one was (about 550 bytes, measured on atlas/uproot-issue-123b.root).
      Baler::Internal::WritePendingModels(*out);
      // taken here, so the StreamerInfo hook does not name them too (as ROOT's warnings)
      for (auto &idle : Baler::Internal::TakeIdleModelWarnings(*out))
         warnings.push_back(std::move(idle));
      out->Write(nullptr, TObject::kOverwrite);
      // A file with Baler blocks says so in its own setting, as one written through the plugin does:
      // tools decide by the file's setting whether its baskets may be copied as stored, and `hadd
      // -f505` copied the Baler blocks of a file left at the input's 505 into a "ZSTD" file. One
      // setting for every spec (each branch's own names its spec), so that `hadd -fk` still copies
      // the blocks of files compressed with different specs as they are. Set only now: the trees'
      // keys keep the input's compression; the StreamerInfo that Close writes is ZSTD-5 under a
      // Baler setting, as in the plugin's files.
      if (fileHasBalerBlocks)
         out->SetCompressionSettings(kLossless);
      out->Close();
      if (!RootMessages::FirstError().empty())
         throw Failure(RootMessages::FirstError());
      output.Commit();
      return warnings;
   }

   /// The models the output's blocks name go into it once: the input's keys of those (not a model
   /// that only branches coded again with another model or spec used, nor the extra cycles `hadd`
   /// leaves), the others from this process or BALER_MODEL_PATH (a block copied as stored whose
   /// model its input lacked); one found nowhere is a warning. Returns the warnings.
   std::vector<std::string> CarryModels(TFile &out)
   {
      std::vector<std::string> warnings;
      std::set<std::string> needed = outputModelIds;
      for (TKey *key : inputModelKeys) {
         const std::string id = Internal::ModelIdOfKeyName(key->GetName());
         if (outputModelIdsKnown && !needed.erase(id))
            continue;
         auto *copied = new TKey(&out, *key, 0);
         if (!RootMessages::FirstError().empty() || copied->WriteFile(0) < 0)
            throw Failure("cannot copy model " + id + (RootMessages::FirstError().empty() ? "" : ": " + RootMessages::FirstError()));
      }
      for (const std::string &id : needed) {
         try {
            Internal::NoteModelToCarry(out, Internal::FindModelInProcess(id));
         } catch (const baler::codec::Error &e) {
            warnings.push_back("blocks copied as stored name model " + id + ", which neither the input nor "
                               "BALER_MODEL_PATH holds: the output, as the input, reads only where it is found (" +
                               e.what() + ")");
         }
      }
      return warnings;
   }

   /// A tree left out by --tree: every basket copied as it is.
   void CopyTree(TTree &tree, TDirectory &out, const std::string &path) { CopyBaskets(tree, out, path, false); }

   /// A tree selected for Baler: the float baskets of selected branches recoded, the rest copied.
   void RewriteTree(TTree &tree, TDirectory &out, const std::string &path) { CopyBaskets(tree, out, path, true); }

   /// Copies `tree` into `out` basket by basket, the way ROOT's fast cloning (TTreeCloner) does,
   /// without streaming a single object: no class needs a dictionary, and entry boundaries, clusters,
   /// branch structure and every stored byte stay as they are. Only the baskets of branches that a
   /// spec selects (when `recode`) are decoded and coded again with Baler, and kept only where the
   /// new key is smaller than the stored one; where it is not, the stored basket takes the values
   /// Baler's blocks would give, zipped again as it was unless that is larger. Baskets kept in the
   /// input tree's own key (never flushed) stay in the output tree's key, as compact as they were.
   void CopyBaskets(TTree &tree, TDirectory &out, const std::string &path, bool recode)
   {
      out.cd();
      std::unique_ptr<TTree> copy(tree.CloneTree(0));
      if (!copy)
         throw Failure("cannot clone tree '" + path + "'");
      copy->SetDirectory(&out);
      // CloneTree leaves out the tree's index (TTree::BuildIndex), with which friends and users
      // look entries up by run and event: the entries are the same, so the same index serves
      if (const TVirtualIndex *index = tree.GetTreeIndex()) {
         auto *same = static_cast<TVirtualIndex *>(index->Clone());
         same->SetTree(copy.get());
         copy->SetTreeIndex(same);
      }
      TFile *inFile = tree.GetCurrentFile();
      TFile *outFile = out.GetFile();
      TTreeCloner cloner(&tree, copy.get(), "", TTreeCloner::kNoWarnings | TTreeCloner::kNoFileCache);
      if (!cloner.IsValid())
         throw Failure("tree '" + path + "' cannot be copied basket by basket: " + cloner.GetWarning());
      auto inBranches = AllBranches(tree);
      auto outBranches = AllBranches(*copy);
      if (tree.GetBranchRef() && copy->GetBranchRef()) { // TRef's table, which TTreeCloner copies too
         inBranches.push_back(tree.GetBranchRef());
         outBranches.push_back(copy->GetBranchRef());
      }
      if (inBranches.size() != outBranches.size())
         throw Failure("tree '" + path + "': the copy has a different branch structure");

      // The codec of each selected branch goes into the output branch (its compression setting or
      // Baler::SetCodec), so that the spec the hooks would use is the one the baskets get.
      std::vector<const CodecChoice *> chosen(outBranches.size(), nullptr);
      for (std::size_t i = 0; i < outBranches.size(); ++i) {
         TBranch &branch = *outBranches[i];
         if (std::string(branch.GetName()) != inBranches[i]->GetName())
            throw Failure("tree '" + path + "': the copy has a different branch structure");
         if (recode)
            chosen[i] = Choose(tree.GetName(), path, branch);
         // Parents come before their sub-branches, and both setters recurse: each branch ends with its own.
         branch.SetCompressionSettings(chosen[i] ? chosen[i]->settings : inBranches[i]->GetCompressionSettings());
         if (chosen[i] && chosen[i]->viaSetCodec)
            Baler::SetCodec(&branch, *chosen[i]->codec);
      }

      TreeAccess::ImportClusterRanges(*copy, tree);
      copy->SetEntries(tree.GetEntries());
      const UShort_t pidOffset = outFile->GetNProcessIDs();
      // Not TTreeCloner::CopyStreamerInfos: KeepStreamerInfos keeps every record of the input as
      // it is, and ForceWriteInfo added the records of the classes of members that no basket
      // holds (TArray, TArrayD, TArrayF, TArrayI from TTree and TH1F: 236 bytes that made a small
      // file larger than its input, a new-user sweep).
      cloner.CopyProcessIds();
      cloner.CloseOutWriteBaskets();

      // Every basket on file, in the order of the input file (reads and writes stay sequential);
      // a branch's own baskets keep their order.
      std::vector<StoredBasket> baskets;
      for (std::size_t i = 0; i < inBranches.size(); ++i)
         for (Int_t b = 0; b < inBranches[i]->GetWriteBasket(); ++b)
            baskets.push_back({i, b, inBranches[i]->GetBasketSeek(b), inBranches[i]->GetBasketEntry()[b]});
      std::stable_sort(baskets.begin(), baskets.end(), [](const StoredBasket &a, const StoredBasket &b) {
         return a.seek != b.seek ? a.seek < b.seek : a.firstEntry < b.firstEntry;
      });

      std::vector<Internal::SpecPtr> specs(outBranches.size());
      std::vector<Internal::ModelPtr> models(outBranches.size());
      for (std::size_t i = 0; i < outBranches.size(); ++i)
         if (chosen[i]) {
            specs[i] = Internal::ResolveCodec(*outBranches[i]);
            if (specs[i] && chosen[i]->spec.rfind("ae:", 0) == 0) // the codec's own accessor is not exported
               models[i] = Internal::ModelForSpec(*specs[i]);
         }
      std::map<std::string, std::size_t> branchIndex;
      for (std::size_t i = 0; i < outBranches.size(); ++i)
         branchIndex.emplace(outBranches[i]->GetName(), i);
      const std::vector<unsigned> stages = CodingStages(outBranches, branchIndex, models);
      /// Whether the basket of a selected branch (index, first entry) was written with its stored payload.
      std::map<std::pair<std::size_t, Long64_t>, bool> keptStored;
      const unsigned lastStage = stages.empty() ? 0 : *std::max_element(stages.begin(), stages.end());
      std::vector<int> storedSettings(inBranches.size());
      for (std::size_t i = 0; i < inBranches.size(); ++i)
         storedSettings[i] = inBranches[i]->GetCompressionSettings();
      std::vector<bool> recoded(outBranches.size(), false); ///< a basket took the branch's spec
      std::vector<bool> modelCoded(outBranches.size(), false); ///< a basket took Baler blocks through the model
      /// What the Baler blocks written for each branch hold, as `baler inspect` describes them: a
      /// spec's values may be stored exactly (a branch of 0 and 1 under bits:10 is lossless).
      std::vector<std::set<std::string>> heldByBlocks(outBranches.size());
      /// A basket of the branch took the spec's values outside Baler blocks (zipped by ROOT, raw, or
      /// kept in the tree's key), which the blocks' description would not name where they are lossless.
      std::vector<bool> roundedOutsideBlocks(outBranches.size(), false);
      /// The input kept a basket of the branch in its tree's key: the branch keeps the input's
      /// setting, and a note names the spec (see the kept baskets below).
      std::vector<bool> keptInInputKey(outBranches.size(), false);
      std::vector<std::set<std::string>> exportedHeld(outBranches.size()); ///< what the Baler blocks `baler export` decodes held
      bool anyBalerBlock = false;                             ///< the file needs the plugin to be read

      const Long64_t entries = tree.GetEntries();
      if (onProgress)
         onProgress(path.c_str(), 0, entries, user);
      Long64_t reached = 0;
      // Baskets go through in windows: read in order on this thread, coded on `threads` threads as
      // soon as each is read (coding is most of the work), written in order once all are coded.
      // Object members whose context comes from other baskets of the window wait for a later stage.
      std::vector<BasketSlot> slots(kWindowBaskets);
      auto codeSlot = [&](BasketSlot &slot) {
         slot.size = 0;
         slot.balerBlocks = slot.roundedRaw = false;
         slot.usedModel = false;
         slot.member.reset();
         slot.carrierValues.reset();
         slot.error.clear();
         if (!slot.decoded)
            return;
         if (exportSettings) {
            slot.size = ZipDecodedForExport(*slot.decoded, *exportSettings, slot.blocks.data(), slot.blocks.size());
            return;
         }
         try {
            const std::size_t branch = slot.stored->branch;
            const Internal::ModelPtr &model = models[branch];
            if (model) // (null for a branch that is not an object model's member)
               slot.member = Internal::PrepareMemberWrite(*outFile, *copy, outBranches[branch]->GetName(),
                                                          slot.stored->firstEntry, slot.key.GetNevBuf(), *model);
            // Only strictly smaller blocks replace the stored payload: both hold values within the spec
            // (any blocks, where the stored one may not stay).
            const bool mustChange = !slot.storedContext.empty();
            const std::size_t room = std::max<std::size_t>(slot.blocks.size(), 1) - !mustChange;
            if (!model && slot.decoded->GetObjlen() >= static_cast<Int_t>(kPartedBasketBytes))
               slot.size = RecodeInParts(*slot.decoded, slot.layout, *specs[branch], slot.blocks.data(), room, threads);
            else
               slot.size = Internal::RecodeBasket(*slot.decoded, slot.layout, *specs[branch], model.get(),
                                                  slot.member ? &slot.member->context : nullptr, slot.blocks.data(),
                                                  room, slot.usedModel);
            // Blocks of the object's length or more would be read as the raw object (see
            // RoundWithoutBalerBlocks); only a block that must change may be that large.
            if (slot.size >= static_cast<std::size_t>(slot.decoded->GetObjlen()))
               slot.size = 0;
            slot.balerBlocks = slot.size > 0;
            if (!slot.balerBlocks)
               RoundWithoutBalerBlocks(slot, *specs[branch], model.get(), storedSettings[branch]);
            if (mustChange && slot.size == 0)
               throw Failure("its stored block needs the context of baskets this command codes again, and it "
                             "could not be coded again");
            // A carrier's values serve as context as a reader will fetch them: decoded from the one
            // Baler block the output key holds (Baler's new blocks, or the stored payload where it
            // stays and is one, e.g. written by Baler at the same spec), else from none.
            if (slot.member && slot.member->carrier) {
               const bool stored = slot.size == 0 && !slot.key.StoredRaw();
               const auto *payload = stored ? reinterpret_cast<const unsigned char *>(slot.key.GetBufferRef()->Buffer() +
                                                                                      slot.key.GetKeylen())
                                            : slot.blocks.data();
               const std::size_t payloadSize = stored ? slot.key.GetNbytes() - slot.key.GetKeylen() : slot.size;
               slot.carrierValues = Internal::CarrierValues(*slot.member, payload, payloadSize, slot.decoded->GetObjlen());
            }
         } catch (const std::exception &e) {
            slot.error = e.what();
         }
      };
      for (std::size_t next = 0; next < baskets.size();) {
         std::size_t filled = 0, windowBytes = 0;
         // Codes the window's slots of `stage` as `publish` hands them over, on `threads` threads
         // (this one too, once `publish` returns); then caches its carriers' values in slot order.
         auto codeStage = [&](unsigned stage, const std::function<void(CodingQueue &)> &publish) {
            CodingQueue queue;
            auto code = [&] {
               while (const auto k = queue.Take())
                  if (slots[*k].stage == stage)
                     codeSlot(slots[*k]);
            };
            // Joined on every way out, a failed read included: the helpers finish the slots published.
            HelperThreads helpers([&] { queue.Close(); });
            helpers.Start(std::min<std::size_t>(threads, kWindowBaskets), code); // more would find no basket to code
            publish(queue);
            queue.Close();
            code();
            helpers.Join();
            for (std::size_t k = 0; k < filled; ++k)
               if (slots[k].stage == stage && slots[k].member && slots[k].member->carrier)
                  Internal::FinishCarrierWrite(*slots[k].member, slots[k].carrierValues.get());
         };

         codeStage(0, [&](CodingQueue &queue) {
            while (next < baskets.size() && filled < slots.size() && windowBytes < kWindowBytes) {
               const StoredBasket &stored = baskets[next];
               TBranch &from = *inBranches[stored.branch];
               if (stored.seek == 0 && filled > 0)
                  break;
               ++next;
               if (stored.seek == 0) {
                  // A basket in memory that is not the last one (old files): as TTreeCloner, flushed.
                  TBasket *inMemory = from.GetBasket(stored.index);
                  TBranch &to = *outBranches[stored.branch];
                  if (inMemory && inMemory->GetNevBuf() > 0) {
                     auto *clone = static_cast<TBasket *>(inMemory->Clone());
                     clone->SetBranch(&to);
                     to.AddBasket(*clone, false, stored.firstEntry);
                     to.FlushOneBasket(to.GetWriteBasket());
                  }
                  continue;
               }
               BasketSlot &slot = slots[filled];
               slot.stored = &stored;
               slot.decoded.reset();
               slot.stage = 0;
               slot.key.Load(*inFile, tree, stored.seek, from.GetBasketBytes()[stored.index],
                             from.GetBasketEntry()[stored.index + 1] - stored.firstEntry, Where(path, from, stored.index),
                             exportSettings.has_value());
               windowBytes += slot.key.GetNbytes();
               // An object member's stored block is decoded with its context members' baskets of the
               // same entries in the output file: it stays only while they do (those of a branch that
               // no spec selects are copied as they are).
               slot.storedContext.clear();
               if (!slot.key.StoredRaw())
                  for (const auto &name : Internal::StoredContextBranches(
                          reinterpret_cast<const unsigned char *>(slot.key.GetBufferRef()->Buffer() + slot.key.GetKeylen()),
                          slot.key.GetNbytes() - slot.key.GetKeylen())) {
                     const auto found = branchIndex.find(name);
                     if (found == branchIndex.end() || found->second == stored.branch || !specs[found->second])
                        continue;
                     if (!specs[stored.branch])
                        throw Failure(Where(path, from, stored.index) + " is an object member's block, decoded with the "
                                      "values of branch " + name + ", which this command codes again: select " +
                                      from.GetName() + " too (e.g. --branches or a --policy rule for its whole collection)");
                     slot.storedContext.push_back(found->second);
                  }
               const bool exported = exportSettings && slot.key.HoldsBalerBlock();
               if (exported) {
                  const std::string held = DescribeHeldValues(
                     reinterpret_cast<const unsigned char *>(slot.key.GetBufferRef()->Buffer() + slot.key.GetKeylen()),
                     slot.key.GetNbytes() - slot.key.GetKeylen());
                  if (!held.empty())
                     exportedHeld[stored.branch].insert(held);
               }
               if (specs[stored.branch] || exported) {
                  slot.decoded = BranchAccess::TakeBasket(from, stored.index);
                  if (!slot.decoded)
                     throw Failure(Where(path, from, stored.index) + " could not be read");
                  slot.layout = Internal::DescribeBasket(*slot.decoded);
                  slot.blocks.Allocate(slot.storedContext.empty() && !exported
                                          ? slot.key.GetNbytes() - slot.key.GetKeylen()
                                          : 2 * std::size_t(slot.decoded->GetObjlen()) + 4096);
                  windowBytes += slot.decoded->GetObjlen() + slot.blocks.size();
                  slot.stage = stages[stored.branch];
               }
               queue.Publish(++filled);
            }
         });
         for (unsigned stage = 1; stage <= lastStage; ++stage)
            codeStage(stage, [&](CodingQueue &queue) { queue.Publish(filled); });

         // A member's stored block that had to be coded again stays after all where the baskets of its
         // context came out as they were stored (in this window or an earlier one), and no member of
         // this run took from the new blocks values the stored payload does not give.
         for (std::size_t k = 0; k < filled; ++k)
            if (slots[k].decoded)
               keptStored[{slots[k].stored->branch, slots[k].stored->firstEntry}] = slots[k].size == 0 && !slots[k].roundedRaw;
         for (std::size_t k = 0; k < filled; ++k) {
            BasketSlot &slot = slots[k];
            if (slot.storedContext.empty() || !slot.error.empty() ||
                (slot.carrierValues && !StoredCarrierGivesTheSameValues(slot)))
               continue;
            const bool contextKept = std::all_of(slot.storedContext.begin(), slot.storedContext.end(), [&](std::size_t j) {
               const auto found = keptStored.find({j, slot.stored->firstEntry});
               return found != keptStored.end() && found->second;
            });
            if (contextKept) {
               slot.size = 0;
               slot.balerBlocks = slot.roundedRaw = slot.usedModel = false;
               keptStored[{slot.stored->branch, slot.stored->firstEntry}] = true;
            }
         }
         for (std::size_t k = 0; k < filled; ++k) {
            BasketSlot &slot = slots[k];
            const StoredBasket &stored = *slot.stored;
            TBranch &from = *inBranches[stored.branch];
            TBranch &to = *outBranches[stored.branch];
            if (!slot.error.empty())
               throw Failure(Where(path, from, stored.index) + ": " + slot.error);
            if (slot.size > 0)
               slot.key.ReplacePayload(slot.blocks.data(), slot.size, exportSettings || !slot.storedContext.empty());
            else if (slot.roundedRaw)
               slot.key.ReplaceRawObject(slot.decoded->GetBufferRef()->Buffer() + slot.decoded->GetKeylen());
            // The basket holds the spec's values: in Baler's blocks, or rounded and zipped as it was
            // (RoundWithoutBalerBlocks). Either way the branch is no longer exact and must say so.
            if (slot.balerBlocks || slot.size > 0 || slot.roundedRaw)
               recoded[stored.branch] = true;
            if (!slot.balerBlocks && (slot.size > 0 || slot.roundedRaw))
               roundedOutsideBlocks[stored.branch] = true;
            if (slot.balerBlocks) {
               anyBalerBlock = true;
               if (slot.usedModel)
                  modelCoded[stored.branch] = true;
               const auto *block = reinterpret_cast<const unsigned char *>(slot.blocks.data());
               const std::string held = slot.size > 0 ? DescribeHeldValues(block, slot.size) : "";
               if (!held.empty())
                  heldByBlocks[stored.branch].insert(held);
            }
            if (!exportSettings && !slot.key.AddModelIds(outputModelIds))
               outputModelIdsKnown = false;
            if (pidOffset)
               slot.key.IncrementPidOffset(pidOffset);
            if (slot.key.CopyTo(outFile) < 0)
               throw Failure(Where(path, from, stored.index) + " could not be written");
            to.AddBasket(slot.key, true, stored.firstEntry);
            // Nothing of a basket outlives its window: a slot kept its largest buffers otherwise,
            // and over a file's windows every slot came to hold a multi-megabyte one.
            slot.decoded.reset();
            slot.key.DeleteBuffer();
            slot.blocks.Release();
            reached = std::max(reached, stored.firstEntry);
         }
         // The window's bytes start on their way to the disk now, while the next window is coded,
         // rather than all at once in the fsync that closing the file makes (a hint: an error is no
         // failure). That fsync took 32 to 38 ms of a 0.6 s rewrite of 40 MB, now 16 to 17 ms.
         sync_file_range(outFile->GetFd(), 0, 0, SYNC_FILE_RANGE_WRITE);
         if (onProgress)
            onProgress(path.c_str(), reached, entries, user);
      }
      cloner.CopyMemoryBaskets();
      // The small baskets kept in the tree's key stay there (as keys of their own, ~75 bytes each,
      // they would make a small tree larger): their floats take the values Baler's blocks would give,
      // which the key's compression then stores in fewer bytes. A large one is written through Baler.
      // So is one of a branch with baskets on file. Such branches keep the input's setting:
      // `hadd -fk` writes the baskets its later inputs keep in their key again under the first
      // input's branch settings, and a Baler setting there rounded their values, exact ones
      // included (a lossless output merged after a bits:4 one: a merge sweep).
      const std::vector<bool> recodedOnFile = recoded;
      struct KeptOriginal {
         std::size_t branch;
         TBasket *basket;
         std::vector<char> object; ///< what it held before it was rounded in the key
      };
      std::vector<KeptOriginal> keptOriginals;
      for (std::size_t i = 0; i < outBranches.size(); ++i) {
         TBranch &to = *outBranches[i];
         const Int_t index = to.GetWriteBasket();
         auto *kept = specs[i] ? static_cast<TBasket *>(to.GetListOfBaskets()->At(index)) : nullptr;
         if (!kept || kept->GetNevBuf() == 0 || to.GetBasketSeek(index) != 0)
            continue;
         keptInInputKey[i] = true;
         bool keyOnly = true;
         for (Int_t stored = 0; stored < index; ++stored)
            keyOnly = keyOnly && to.GetBasketSeek(stored) == 0;
         try {
            if (chosen[i]->spec != "lossless" &&
                (!keyOnly || kept->GetLast() - kept->GetKeylen() >= kFlushedKeptBasketBytes)) {
               if (to.FlushOneBasket(index) <= 0 || to.GetBasketSeek(index) == 0)
                  throw Failure("could not be written as a key of its own");
               recoded[i] = true;
               const WrittenBlock written = ReadWrittenBlock(*outFile, to, index);
               anyBalerBlock = anyBalerBlock || written.baler;
               modelCoded[i] = modelCoded[i] || written.usedModel;
            } else {
               char *object = kept->GetBufferRef()->Buffer() + kept->GetKeylen();
               std::vector<char> original(object, object + (kept->GetLast() - kept->GetKeylen()));
               if (Internal::ApplySpecInPlace(*kept, *specs[i], models[i].get())) {
                  recoded[i] = roundedOutsideBlocks[i] = true;
                  keptOriginals.push_back({i, kept, std::move(original)});
               }
            }
         } catch (const std::exception &e) {
            throw Failure("tree '" + path + "', branch " + to.GetName() + ", basket kept in the tree: " + e.what());
         }
      }
      if (onProgress)
         onProgress(path.c_str(), entries, entries, user);

      // How the input stored each branch, for the table and for export's notes: a branch whose
      // values a spec rounded without Baler blocks (zipped by ROOT, or kept in the tree's key) is
      // named by its setting or its codec note, and its exported values are still that spec's.
      std::vector<std::string> codecsBefore(inBranches.size());
      std::vector<std::set<std::string>> lossyBefore(inBranches.size()); ///< the lossy specs the input's values held
      for (std::size_t i = 0; i < inBranches.size(); ++i) {
         codecsBefore[i] = DescribeStoredCodec(*inBranches[i], tree, *inFile);
         if (codecsBefore[i].rfind("baler ", 0) != 0)
            continue;
         for (const std::string &spec : JoinedParts(codecsBefore[i].substr(std::string("baler ").size())))
            if (spec != "lossless" && spec.rfind("damaged", 0) != 0 && !NamesRootAlgorithm(spec))
               lossyBefore[i].insert(spec);
         if (exportSettings)
            exportedHeld[i].insert(lossyBefore[i].begin(), lossyBefore[i].end());
         // blocks that hold the input's values exactly hold what they held (kInputNotePrefix)
         else if (recoded[i] && heldByBlocks[i].count("lossless"))
            heldByBlocks[i].insert(lossyBefore[i].begin(), lossyBefore[i].end());
      }
      if (exportSettings)
         NoteExportedValues(*copy, outBranches, exportedHeld);
      // A selected branch none of whose baskets took the spec's values says what it holds: the input's.
      // Parents come before their sub-branches and the setter recurses: each branch ends with its own.
      std::vector<TNamed *> notes; // (the tree's UserInfo owns them)
      const auto addNote = [&](const std::string &name, const std::string &title) {
         notes.push_back(new TNamed(name.c_str(), title.c_str()));
         copy->GetUserInfo()->Add(notes.back());
      };
      // the input's note of a branch coded again (its writer's hook or an earlier compress) names
      // values this run replaced, and a reader takes the first note of a name
      const auto dropCarriedNote = [&](const std::string &name) {
         TObject *carried = copy->GetUserInfo()->FindObject(name.c_str());
         if (carried && std::find(notes.begin(), notes.end(), carried) == notes.end())
            delete copy->GetUserInfo()->Remove(carried);
      };
      const auto describeBranches = [&] {
         for (TNamed *note : notes)
            delete copy->GetUserInfo()->Remove(note);
         notes.clear();
         for (std::size_t i = 0; i < outBranches.size(); ++i) {
            TBranch &branch = *outBranches[i];
            const int before = inBranches[i]->GetCompressionSettings();
            if (exportSettings)
               branch.SetCompressionSettings(recoded[i] || before / 100 == kAlgorithm ? *exportSettings : before);
            else
               branch.SetCompressionSettings(recoded[i] && !keptInInputKey[i] ? chosen[i]->settings : before);
            if (!recoded[i])
               continue;
            const std::string noteName = std::string(kCodecNotePrefix) + branch.GetName();
            const std::string inputNoteName = std::string(kInputNotePrefix) + branch.GetName();
            dropCarriedNote(noteName);
            dropCarriedNote(inputNoteName);
            // A note where the setting cannot name the spec, or does not, and where no Baler block
            // marks the file (MarkForAutoload): ZLIB blocks of rounded values then say what they hold,
            // which `baler inspect` cannot tell from ZLIB blocks of a Baler setting that was never applied.
            if (chosen[i] && (chosen[i]->viaSetCodec || !anyBalerBlock || keptInInputKey[i]))
               addNote(noteName, Internal::SpecAsStored(chosen[i]->spec, models[i], modelCoded[i]));
            if (!exportSettings && heldByBlocks[i].count("lossless") && !lossyBefore[i].empty())
               addNote(inputNoteName, Joined(lossyBefore[i]));
         }
      };
      describeBranches();
      if (anyBalerBlock) {
         Internal::MarkForAutoload(*outFile);
         fileHasBalerBlocks = true;
      }
      // (a member's stored block coded with the model, kept where its context stayed as stored, serves it too)
      for (std::size_t i = 0; i < outBranches.size(); ++i)
         if (models[i])
            Internal::NoteModelService(*outFile, models[i], chosen[i]->spec, outBranches[i]->GetName(),
                                       modelCoded[i] || outputModelIds.count(models[i]->Id()) != 0);

      // Not TTree::Write, which would first flush the baskets kept in the tree's key into keys of their own.
      const Int_t written = out.WriteTObject(copy.get(), copy->GetName(), "");
      if (written <= 0)
         throw Failure("tree '" + path + "' could not be written");
      // Rounded values are not always fewer bytes to ROOT's byte compressors: rel: and abs: levels fill
      // mantissa bits that NanoAOD's rounding had left zero. Where the tree's key came out larger than
      // the input's, which holds the same baskets as they were, it is written again with those.
      const TKey *inKey = tree.GetDirectory() ? tree.GetDirectory()->GetKey(tree.GetName()) : nullptr;
      if (!keptOriginals.empty() && inKey && written > inKey->GetNbytes()) {
         for (const KeptOriginal &kept : keptOriginals) {
            std::memcpy(kept.basket->GetBufferRef()->Buffer() + kept.basket->GetKeylen(), kept.object.data(),
                        kept.object.size());
            recoded[kept.branch] = recodedOnFile[kept.branch]; // (a branch keeps one basket in the key)
         }
         describeBranches();
         if (out.WriteTObject(copy.get(), copy->GetName(), "Overwrite") <= 0)
            throw Failure("tree '" + path + "' could not be written");
         keptExact.push_back("tree " + path + ": the values of " + std::to_string(keptOriginals.size()) +
                             " branches whose baskets are in the tree's key stay exact: rounded, they made the key "
                             "larger than the input's (its compression, not Baler, stores them)");
      }
      if (!RootMessages::FirstError().empty())
         throw Failure("tree '" + path + "': " + RootMessages::FirstError());

      for (std::size_t i = 0; i < outBranches.size(); ++i) {
         TBranch &before = *inBranches[i];
         TBranch &after = *outBranches[i];
         if (after.IsA() == TBranchRef::Class() || (!HoldsData(before) && !HoldsData(after)))
            continue;
         const std::string type = TypeName(after);
         // A branch none of whose baskets took the spec's values holds the input's, as stored; one
         // with Baler blocks holds what they say (as inspect then says); one whose baskets stayed in
         // the tree's key holds what SpecAsStored names, or, floats under bits:23, all of whose
         // mantissa bits it keeps, the lossless values.
         const std::string &codecBefore = codecsBefore[i];
         const bool keepsEveryFloatBit = recoded[i] && chosen[i] && chosen[i]->bits >= kMaxSettingsBits && Internal::HasOnlySinglePrecisionFloats(after);
         if (!heldByBlocks[i].empty() && roundedOutsideBlocks[i])
            heldByBlocks[i].insert(Internal::SpecAsStored(chosen[i]->spec, models[i], /*modelCoded=*/false));
         const std::string codec = exportSettings              ? DescribeSettings(after.GetCompressionSettings())
                                   : !recoded[i]               ? codecBefore
                                   : !heldByBlocks[i].empty()  ? "baler " + Joined(heldByBlocks[i])
                                   : keepsEveryFloatBit        ? std::string("baler lossless")
                                                               : "baler " + Internal::SpecAsStored(chosen[i]->spec, models[i], modelCoded[i]);
         BalerBranchRow row{path.c_str(),
                            after.GetName(),
                            type.c_str(),
                            after.GetEntries(),
                            before.GetZipBytes(),
                            after.GetZipBytes(),
                            after.GetTotBytes(),
                            after.GetCompressionSettings(),
                            codec.c_str(),
                            codecBefore.c_str()};
         if (onRow)
            onRow(&row, user);
      }
   }
};

/// Whether `options` (a --codec spec, or --policy rules separated by commas) names an ae: model
/// by id rather than by a .balm path.
bool NamesModelById(const char *options)
{
   const std::string text = options ? options : "";
   for (std::size_t at = text.find("ae:"); at != std::string::npos; at = text.find("ae:", at + 3))
      if (Internal::NamesModelById(text.substr(at, text.find(',', at) - at)))
         return true;
   return false;
}

/// The warning of `baler compress` and `baler export` for each tree of which only the highest
/// cycle was written.
void WarnOfTreeCyclesLeftOut(const Rewriter &rewriter, BalerWarningCallback onWarning, void *user)
{
   if (onWarning)
      for (const auto &tree : rewriter.treeCyclesLeftOut)
         onWarning(("tree " + tree + ": only its highest cycle is written, as hadd does (the lower ones are its "
                    "earlier snapshots, from TTree::AutoSave)").c_str(),
                   user);
}

} // namespace
} // namespace Baler::Cli

extern "C" int baler_compress_file(const char *inPath, const char *outPath, const BalerCompressOptions *options,
                                   BalerRowCallback onRow, BalerProgressCallback onProgress,
                                   BalerWarningCallback onWarning, void *user, char *error, size_t errorSize)
{
   using namespace Baler::Cli;
   return Guarded(error, errorSize, [&] {
      if (!inPath || !outPath || !options)
         throw Failure("missing input path, output path or options");
      Rewriter rewriter;
      // An ae: spec may name its model by id, and a file compressed with it before holds the model:
      // the input's models are made known before the specs are read (INTERFACE.md: ids are looked
      // up in the file being read, then in BALER_MODEL_PATH).
      const auto namesModel = [](const char *spec) { return spec && std::strstr(spec, "ae:"); };
      if (namesModel(options->codecSpec) || namesModel(options->policy)) {
         std::unique_ptr<TFile> in(OpenForReading(inPath));
         if (in && !in->IsZombie())
            Baler::Internal::LoadModelsOf(*in);
      }
      // A spec that does not parse fails for every file, except where it names an ae: model by
      // id, which the next file may hold; a model named by its path is the same for every file.
      const auto badOption = [&](const char *spec, const std::string &message) {
         if (NamesModelById(spec))
            throw Failure(message);
         throw BadOptions(message);
      };
      if (options->codecSpec) {
         try {
            rewriter.codec = ChooseCodec(Baler::Codec::Parse(options->codecSpec));
         } catch (const std::exception &e) {
            badOption(options->codecSpec, std::string("bad --codec: ") + e.what());
         }
      }
      if (options->policy && *options->policy) {
         try {
            for (auto &rule : Baler::Internal::ParsePolicy(options->policy, "--policy")) {
               CodecChoice choice = ChooseCodec(Baler::Codec::Parse(rule.specText));
               rewriter.policy.push_back({std::move(rule), std::move(choice)});
            }
         } catch (const std::exception &e) {
            badOption(options->policy, e.what());
         }
      }
      for (int i = 0; i < options->nGlobs; ++i)
         rewriter.globs.push_back({options->globs[i]});
      for (int i = 0; i < options->nTrees; ++i)
         rewriter.trees.emplace_back(options->trees[i]);
      if (options->threads < 0)
         throw Failure("the number of threads must be 0 (one per core) or more");
      if (options->threads > 0)
         rewriter.threads = static_cast<unsigned>(options->threads);
      rewriter.onRow = onRow;
      rewriter.onProgress = onProgress;
      rewriter.user = user;

      const auto fileWarnings = rewriter.RewriteFile(inPath, outPath);
      auto warn = [&](const std::string &message) {
         if (onWarning)
            onWarning(message.c_str(), user);
      };
      for (const auto &p : rewriter.policy)
         if (!p.used)
            warn("--policy rule '" + p.Text() + "' selects no float or double branch (no match, or an earlier "
                 "rule takes them)");
      for (const auto &g : rewriter.globs)
         if (!g.used)
            warn("--branches '" + g.glob + "' selects no float or double branch" +
                 (rewriter.policy.empty() ? "" : " that no --policy rule takes"));
      // with globs, each unused one is reported above
      if (rewriter.codec && !rewriter.codecUsed && rewriter.globs.empty() && !rewriter.policy.empty())
         warn("--codec " + rewriter.codec->spec + " selects no float or double branch: the --policy rules take "
              "every one");
      for (const auto &[spec, branches] : rewriter.floatsKeptExact)
         warn(spec + " keeps every bit of a float (it has 23 mantissa bits): " + std::to_string(branches) +
              " float branch" + (branches == 1 ? "" : "es") + " kept as stored");
      for (const auto &message : fileWarnings)
         warn(message);
      WarnOfTreeCyclesLeftOut(rewriter, onWarning, user);
   });
}

extern "C" int baler_export_file(const char *inPath, const char *outPath, int settings, int threads,
                                 BalerRowCallback onRow, BalerProgressCallback onProgress,
                                 BalerWarningCallback onWarning, void *user, char *error, size_t errorSize)
{
   using namespace Baler::Cli;
   return Guarded(error, errorSize, [&] {
      if (!inPath || !outPath)
         throw Failure("missing input or output path");
      const int algorithm = settings / 100;
      const std::string rootSettings = "give a ROOT compression setting (algorithm * 100 + level: 101 ZLIB-1, "
                                       "207 LZMA-7, 404 LZ4-4, 505 ZSTD-5, 0 none)";
      if (algorithm == Baler::kAlgorithm)
         throw BadOptions("--setting " + std::to_string(settings) + " is Baler's, and export writes a file that "
                          "every reader opens without the plugin: " + rootSettings);
      if (settings < 0 || algorithm > 5 || settings % 100 > 22)
         throw BadOptions("--setting " + std::to_string(settings) + " is not a ROOT compression setting: " +
                          rootSettings);
      // ROOT reads its old ZLIB format ("CS" blocks), uproot does not: not a file every reader opens
      if (algorithm == ROOT::RCompressionSetting::EAlgorithm::kOldCompressionAlgo)
         throw BadOptions("--setting " + std::to_string(settings) + " is ROOT's old ZLIB format, which uproot "
                          "cannot read: " + rootSettings);
      if (threads < 0)
         throw Failure("the number of threads must be 0 (one per core) or more");
      Rewriter rewriter;
      rewriter.exportSettings = settings;
      if (threads > 0)
         rewriter.threads = static_cast<unsigned>(threads);
      rewriter.onRow = onRow;
      rewriter.onProgress = onProgress;
      rewriter.user = user;
      for (const std::string &warning : rewriter.RewriteFile(inPath, outPath))
         if (onWarning)
            onWarning(warning.c_str(), user);
      WarnOfTreeCyclesLeftOut(rewriter, onWarning, user);
   });
}
