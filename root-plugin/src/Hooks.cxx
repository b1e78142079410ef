// Installs Baler into ROOT's compression entry points when libBalerROOT is loaded.
//
// ROOT 6.40 has no compression plugin interface, so the plugin redirects the calls that ROOT's
// libraries make to R__zipMultipleAlgorithm, R__unzip_header and R__unzip, and wraps
// TBasket::WriteBuffer / ReadBasketBuffers to know which basket is being (de)compressed (see
// docs/design.md); ReadBasketBuffers and LoadBasketBuffers also check a basket's key before ROOT
// parses it (BasketKeyCheck.h); a Baler basket that fails to read stops a TTree::Draw running over it.
// Calls for other algorithms, and blocks that are not Baler's, go to ROOT's own functions, except
// that ZSTD blocks are unzipped, and the ZSTD that Baler's code asks for is zipped, through the
// codec's per-thread zstd contexts (RootZstd.h): the same bytes, without ROOT's cost per block. Nothing
// may throw out of these functions: ROOT calls them through C interfaces.
#include "Baler/Baler.h"
#include "BasketCodec.h"
#include "BasketKeyCheck.h"
#include "CodecSelection.h"
#include "CopiedBaskets.h"
#include "FileMarker.h"
#include "ModelStore.h"
#include "ObjectContext.h"
#include "RootBlockHeader.h"
#include "RootZstd.h"
#include "SymbolPatcher.h"

#include "RZip.h"
#include "TBasket.h"
#include "TBranch.h"
#include "TChain.h"
#include "TClass.h"
#include "TError.h"
#include "TFile.h"
#include "TList.h"
#include "TNamed.h"
#include "TROOT.h"
#include "TSelector.h"
#include "TTree.h"
#include "TTreeCacheUnzip.h"
#include "TVirtualMutex.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace Baler::Internal {
namespace {

using Algorithm = ROOT::RCompressionSetting::EAlgorithm::EValues;
using ZipFn = void (*)(int, int *, const char *, int *, char *, int *, Algorithm);
using UnzipHeaderFn = int (*)(int *, const unsigned char *, int *);
using UnzipFn = void (*)(int *, const unsigned char *, int *, unsigned char *, int *);
using WriteBufferFn = Int_t (*)(TBasket *);
using ReadBasketBuffersFn = Int_t (*)(TBasket *, Long64_t, Int_t, TFile *);
using LoadBasketBuffersFn = Int_t (*)(TBasket *, Long64_t, Int_t, TFile *, TTree *);
using WriteStreamerInfoFn = void (*)(TFile *);
using DlopenFn = void *(*)(const char *, int);

ZipFn gRootZip = nullptr;
UnzipHeaderFn gRootUnzipHeader = nullptr;
UnzipFn gRootUnzip = nullptr;
WriteBufferFn gRootWriteBuffer = nullptr;
ReadBasketBuffersFn gRootReadBasketBuffers = nullptr;
LoadBasketBuffersFn gRootLoadBasketBuffers = nullptr;
WriteStreamerInfoFn gRootWriteStreamerInfo = nullptr;
DlopenFn gRealDlopen = nullptr;

/// The basket whose TBasket::WriteBuffer runs on this thread, and the codec chosen for it. ROOT
/// calls the compressor from inside WriteBuffer on the same thread, also under implicit MT.
struct WritingBasket {
   TBasket *basket = nullptr;
   SpecPtr spec;
   ModelPtr model;                      ///< the model an `ae:` spec names
   std::unique_ptr<MemberWrite> member; ///< the basket's coding as an object model's member
   /// A carrier's decoded values, when its basket became one Baler block (set by the zip hook).
   std::unique_ptr<baler::codec::ContextBasket> carrierValues;
};
thread_local WritingBasket tWriting;

/// The basket whose ReadBasketBuffers runs on this thread (for error messages and object models'
/// context).
struct ReadingBasket {
   TBasket *basket = nullptr;
   Long64_t seek = 0;
   /// The basket is a carrier that members have been read with (IsReadContext): the unzip hook
   /// keeps its decoded float values, for KeepReadCarrier once ROOT has read the basket.
   bool keepCarrier = false;
   int balerBlocks = 0; ///< Baler blocks decoded for this basket
   std::size_t decodedBytes = 0;
   ContextValues carrierValues;
};
thread_local ReadingBasket tReading;

/// ROOT's own ZSTD at this level (ZSTD-505, ROOT's default) goes to non-basket callers (keys,
/// StreamerInfo, RNTuple pages, messages) that inherit Baler's algorithm code, so that everything
/// but basket data stays standard; and it is what Baler's blocks without floats must beat.
constexpr int kZstdLevel = 5;

std::mutex gPatchMutex;
SymbolPatcher *gPatcher = nullptr;

/// Baler blocks compressed on a thread other than the one that loaded the plugin (implicit MT's
/// workers): a diagnostic for the tests, read through BalerDiagnosticCount.
const std::thread::id gLoadingThread = std::this_thread::get_id();
std::atomic<long long> gBlocksOffLoadingThread{0};

/// Gives a branch chosen by BALER_POLICY Baler's algorithm code, so the file records how its
/// baskets are stored. Only this branch: its sub-branches are resolved on their own.
class BranchCompressionAccess : public TBranch {
public:
   static void MarkAsBaler(TBranch &branch)
   {
      if (branch.GetCompressionAlgorithm() != kAlgorithm)
         static_cast<BranchCompressionAccess &>(branch).fCompress = kLossless;
   }
};

std::string DescribeBranch(const TBranch *branch)
{
   return branch ? std::string(branch->GetName()) : std::string("?");
}

/// The lock TBasket::WriteBuffer holds while it places a basket in its file: under IMT, baskets are
/// compressed in parallel, but TFile is not thread-safe, and their records are placed one at a time
/// under this lock. A key written from a basket's thread must hold it too. Under gROOTMutex, which
/// basket writers never take, a model key and another thread's basket were placed at the same
/// offset: the model read back as 0 bytes, the basket's record as damaged.
class FileWriteLock : public TFile {
public:
   static std::unique_lock<std::mutex> Of(TFile &file)
   {
#ifdef R__USE_IMT
      return std::unique_lock<std::mutex>(file.*(&FileWriteLock::fWriteMutex));
#else // a ROOT without IMT writes baskets on the filling thread only
      return {};
#endif
   }
};

/// A model goes into the file with the first basket coded through it, not only with the
/// StreamerInfo (TFile::Write, Close): a job killed after `TTree::Write()` (no StreamerInfo), or
/// after `TFile::Write()` (which saves the list of keys before the StreamerInfo), keeps the model
/// its saved baskets need, in the list of keys or among those ROOT recovers.
void WriteModelsAsTheyAreUsed(TBranch &branch)
{
   TFile *file = branch.GetFile();
   if (!file)
      return;
   const auto lock = FileWriteLock::Of(*file); // with IMT, other threads write their baskets into this file
   try {
      WritePendingModels(*file);
   } catch (const std::exception &e) {
      Error("Baler", "%s: cannot write its models: %s", file->GetName(), e.what());
   }
}

Int_t WriteBufferHook(TBasket *basket)
{
   WritingBasket outer = std::move(tWriting);
   tWriting = WritingBasket{basket, nullptr};
   TBranch *branch = basket ? basket->GetBranch() : nullptr;
   try {
      if (branch)
         tWriting.spec = ResolveCodec(*branch);
      if (tWriting.spec && !tWriting.spec->ModelReference().empty())
         tWriting.model = ModelForSpec(*tWriting.spec);
      if (tWriting.model && tWriting.model->IsObjectModel())
         tWriting.member = PrepareMemberWrite(*basket, *tWriting.model);
      if (tWriting.spec) {
         BranchCompressionAccess::MarkAsBaler(*branch);
         if (TFile *file = branch->GetFile())
            NoteBalerBasket(*file);
      }
   } catch (const std::exception &e) {
      Error("Baler", "branch %s: %s; stored with ROOT's own compression", DescribeBranch(branch).c_str(), e.what());
      tWriting.spec = nullptr;
      tWriting.model = nullptr;
      tWriting.member = nullptr;
   }
   Int_t result = gRootWriteBuffer(basket);
   if (branch && result > 0)
      NoteBasketWritten(*branch, basket->GetSeekKey());
   if (branch && result > 0 && tWriting.model)
      WriteModelsAsTheyAreUsed(*branch);
   if (tWriting.member && tWriting.member->carrier) {
      // other members may be coded with these values only if ROOT kept the Baler block
      const bool keptBlock = basket->GetNbytes() - basket->GetKeylen() < basket->GetObjlen();
      FinishCarrierWrite(*tWriting.member, keptBlock ? tWriting.carrierValues.get() : nullptr);
   }
   tWriting = std::move(outer);
   return result;
}

/// True when `src` lies inside the object buffer of the basket being written on this thread.
bool IsBasketData(TBasket *basket, const char *src)
{
   if (!basket || !basket->GetBufferRef())
      return false;
   const char *object = basket->GetBufferRef()->Buffer() + basket->GetKeylen();
   return src >= object && src < object + basket->GetObjlen();
}

/// ROOT's ZSTD-505 of one block (BasketCodec.h's StandardCompressor).
std::size_t RootZstd(const char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity)
{
   return ZipRootZstd(kZstdLevel, src, srcSize, tgt, tgtCapacity);
}

/// A carrier's block that holds its whole basket: its decoded values become the context of the
/// other members (once ROOT has kept the block, WriteBufferHook).
void KeepCarrierValues(const unsigned char *block, std::size_t size, std::size_t srcSize)
{
   tWriting.carrierValues = nullptr;
   if (tWriting.member && srcSize == static_cast<std::size_t>(tWriting.basket->GetObjlen()))
      tWriting.carrierValues = CarrierValues(*tWriting.member, block, size, srcSize);
}

/// A file carries a model only when one of its blocks was coded through it: `ae:` falls back to
/// the per-value codec where the model does not pay, and a file with no such block needs no model.
/// A model that codes none of the baskets given to it is named when the file is written.
void NoteModelOutcome(const unsigned char *block, std::size_t size)
{
   if (!tWriting.model)
      return;
   TBranch *branch = tWriting.basket->GetBranch();
   TFile *file = branch->GetFile();
   if (!file)
      return;
   const bool coded = size > kRootHeaderSize && IsBalerBlock(block) &&
                      !baler::codec::BlockModelId(block + kRootHeaderSize, PayloadSize(block)).empty();
   NoteModelService(*file, tWriting.model, tWriting.spec->ToString(), branch->GetName(), coded);
}

/// A basket that ROOT stores as it is after the hook gave its values the spec's rounding holds no
/// Baler block to say so, and its branch's setting (4299 under SetCodec or a policy) reads as
/// lossless: `baler inspect` said so, and `baler eval` held the rounded values to exactness. The
/// tree's UserInfo notes the spec, as `baler compress` does (kCodecNotePrefix); an `ae:` spec by
/// its bound, the per-value rounding such a basket took (SpecAsStored of a model that coded none).
void NoteRoundedInPlace(TBranch &branch, const baler::codec::Spec &spec, const ModelPtr &model)
{
   TTree *tree = branch.GetTree();
   if (!tree)
      return;
   const std::string name = std::string(kCodecNotePrefix) + branch.GetName();
   const std::string held = SpecAsStored(spec.ToString(), model, /*modelCoded=*/false);
   static std::mutex notesMutex; // baskets of one tree are zipped on several threads under IMT
   std::lock_guard<std::mutex> lock(notesMutex);
   TList *notes = tree->GetUserInfo();
   if (auto *note = dynamic_cast<TNamed *>(notes->FindObject(name.c_str())))
      note->SetTitle(held.c_str());
   else
      notes->Add(new TNamed(name.c_str(), held.c_str()));
}

extern "C" void ZipHook(int cxlevel, int *srcsize, const char *src, int *tgtsize, char *tgt, int *irep,
                        Algorithm algorithm)
{
   const bool balerBasket = tWriting.spec && IsBasketData(tWriting.basket, src);
   if (!balerBasket) {
      if (algorithm == kAlgorithm)
         *irep = *srcsize > 0 && *tgtsize > 0
                    ? static_cast<int>(RootZstd(src, static_cast<std::size_t>(*srcsize),
                                                reinterpret_cast<unsigned char *>(tgt), static_cast<std::size_t>(*tgtsize)))
                    : 0;
      else
         gRootZip(cxlevel, srcsize, src, tgtsize, tgt, irep, algorithm);
      return;
   }
   // Like ROOT's compressors: a block that cannot be compressed (too small, no gain, an error)
   // gives 0, and ROOT then stores the basket uncompressed, i.e. exactly.
   *irep = 0;
   try {
      const baler::codec::MemberContext *member = tWriting.member ? &tWriting.member->context : nullptr;
      *irep = static_cast<int>(CompressBasketBlock(*tWriting.basket, *tWriting.spec, tWriting.model.get(), member,
                                                   src, static_cast<std::size_t>(*srcsize),
                                                   reinterpret_cast<unsigned char *>(tgt),
                                                   static_cast<std::size_t>(*tgtsize), &RootZstd));
      if (*srcsize == tWriting.basket->GetObjlen() && (*irep == 0 || *irep >= *srcsize))
         // ROOT stores this basket as it is (a few values, whose Baler block is not smaller than
         // they are): `src` is the basket's own buffer, so give its values the spec's rounding
         // first, as the file's other baskets have it, instead of more precision than asked.
         if (ApplySpecInPlace(*tWriting.basket, *tWriting.spec, tWriting.model.get()))
            NoteRoundedInPlace(*tWriting.basket->GetBranch(), *tWriting.spec, tWriting.model);
      NoteModelOutcome(reinterpret_cast<const unsigned char *>(tgt), static_cast<std::size_t>(*irep));
      KeepCarrierValues(reinterpret_cast<const unsigned char *>(tgt), static_cast<std::size_t>(*irep),
                        static_cast<std::size_t>(*srcsize));
   } catch (const std::exception &e) {
      Error("Baler", "branch %s: cannot compress basket with %s: %s; basket stored uncompressed",
            DescribeBranch(tWriting.basket->GetBranch()).c_str(), tWriting.spec->ToString().c_str(), e.what());
   }
   if (*irep > 0 && std::this_thread::get_id() != gLoadingThread)
      gBlocksOffLoadingThread.fetch_add(1, std::memory_order_relaxed);
}

extern "C" int UnzipHeaderHook(int *srcsize, const unsigned char *src, int *tgtsize)
{
   if (!IsBalerBlock(src))
      return gRootUnzipHeader(srcsize, src, tgtsize);
   *srcsize = static_cast<int>(kRootHeaderSize + PayloadSize(src));
   *tgtsize = static_cast<int>(DecodedSize(src));
   return 0;
}

/// "branch X, entries [a, b) of FILE" for the basket being read on this thread, if known.
std::string DescribeReadingBasket()
{
   TBasket *basket = tReading.basket;
   TBranch *branch = basket ? basket->GetBranch() : nullptr;
   if (!branch)
      return "a basket read without branch context (e.g. TTreeCacheUnzip)";
   std::string where = "branch " + DescribeBranch(branch);
   const Int_t index = branch->GetBasketEntry() ? BasketIndexAt(*branch, tReading.seek) : -1;
   if (index >= 0)
      where += ", entries " + std::to_string(branch->GetBasketEntry()[index]) + "-" +
               std::to_string(BasketEndEntry(*branch, index) - 1);
   if (TFile *file = branch->GetFile())
      where += std::string(" of ") + file->GetName();
   return where;
}

/// The TSelectorDraw of a TTree::Draw running over `tree`, or over the TChain whose current tree
/// it is; null when none runs. TTreePlayer::Process makes the selector the notify object of the
/// tree or chain it loops over, for the loop only; every TChain is in gROOT's list of specials.
TSelector *DrawingSelector(const TTree &tree)
{
   const auto drawing = [](const TTree &drawn) -> TSelector * {
      TObject *notified = drawn.GetNotify();
      return notified && notified->InheritsFrom("TSelectorDraw") ? static_cast<TSelector *>(notified) : nullptr;
   };
   if (TSelector *selector = drawing(tree))
      return selector;
   R__LOCKGUARD(gROOTMutex);
   for (TObject *special : *gROOT->GetListOfSpecials()) {
      const auto *chain = dynamic_cast<const TChain *>(special);
      if (chain && chain->GetTree() == &tree)
         if (TSelector *selector = drawing(*chain))
            return selector;
   }
   return nullptr;
}

/// TTree::Draw never looks at a failed read: it evaluates the branch's stale buffer for the failed
/// entries and counts them as read. Aborting its selector ends the loop instead, and Draw returns
/// -1. Other readers see the failure themselves (GetEntry's -1) and are left alone, user
/// selectors too. Called on the reading thread, after the error that says why.
void StopDrawOverFailedBasket(const TBasket *basket)
{
   const TBranch *branch = basket ? basket->GetBranch() : nullptr;
   const TTree *tree = branch ? branch->GetTree() : nullptr;
   TSelector *selector = tree ? DrawingSelector(*tree) : nullptr;
   if (selector && selector->GetAbort() == TSelector::kContinue) // once, for the first failure's reason
      selector->Abort(
         ("Baler: a basket of branch " + DescribeBranch(branch) + " cannot be read (see the error above)").c_str());
}

/// The float values of a carrier's block that ROOT decoded for the basket being read (its
/// decoded bytes `tgt`), kept in tReading for ReadBasketBuffersHook: the members read next take
/// them as their context instead of decoding the carrier's basket again.
void KeepCarrierDecoded(const unsigned char *src, std::size_t srcSize, const unsigned char *tgt, std::size_t decoded)
{
   if (!tReading.keepCarrier)
      return;
   ++tReading.balerBlocks;
   tReading.decodedBytes = decoded;
   tReading.carrierValues = nullptr;
   if (tReading.balerBlocks != 1) // a basket of several blocks: no one block holds its values
      return;
   try {
      tReading.carrierValues = std::make_shared<const baler::codec::ContextBasket>(
         baler::codec::ContextOfDecoded(src + kRootHeaderSize, srcSize - kRootHeaderSize, tgt, decoded));
   } catch (const std::exception &) {
      // (floats and doubles in one basket: no column of values) the members fetch what they need
   }
}

extern "C" void UnzipHook(int *srcsize, const unsigned char *src, int *tgtsize, unsigned char *tgt, int *irep)
{
   if (!IsBalerBlock(src)) {
      std::size_t decoded = 0;
      if (*srcsize > 0 && *tgtsize > 0 &&
          UnzipRootZstd(src, static_cast<std::size_t>(*srcsize), tgt, static_cast<std::size_t>(*tgtsize), decoded))
         *irep = static_cast<int>(decoded);
      else
         gRootUnzip(srcsize, src, tgtsize, tgt, irep);
      return;
   }
   // A bad block reads as failed (0 bytes), like any ROOT read error; the process goes on.
   *irep = 0;
   bool unzippedAhead = false;
   try {
      TBasket *basket = tReading.basket;
      const Long64_t seek = tReading.seek;
      *irep = static_cast<int>(DecompressBalerBlock(
         src, static_cast<std::size_t>(*srcsize), tgt, static_cast<std::size_t>(*tgtsize),
         [basket, seek](const baler::codec::BlockContext &needs) { return FetchContext(basket, seek, needs); }));
      KeepCarrierDecoded(src, static_cast<std::size_t>(*srcsize), tgt, static_cast<std::size_t>(*irep));
   } catch (const NotTheReadingBasket &e) {
      // A member's basket that a parallel TTreeCacheUnzip unzips ahead of the reader: ROOT reads it
      // again when the reader gets to it, with its context. Said to be a failure, it printed an
      // error for each member basket, and the Draw reading another basket on this thread stopped
      // (-1, a damaged-input sweep).
      unzippedAhead = TTreeCacheUnzip::IsParallelUnzip();
      if (!unzippedAhead)
         Error("Baler", "cannot read %s: %s", DescribeReadingBasket().c_str(), e.what());
   } catch (const ContextUnavailable &e) {
      Error("Baler", "cannot read %s: %s", DescribeReadingBasket().c_str(), e.what());
   } catch (const MissingModel &e) {
      Error("Baler", "cannot read %s: %s", DescribeReadingBasket().c_str(), e.what());
   } catch (const std::exception &e) {
      Error("Baler", "corrupt Baler block in %s: %s", DescribeReadingBasket().c_str(), e.what());
   }
   if (*irep == 0 && !unzippedAhead)
      StopDrawOverFailedBasket(tReading.basket);
}

/// Reads `bytes.size()` bytes of `file` at `pos` (through its read cache, under the lock ROOT's own
/// basket reads take when branches are read in parallel); false on an I/O error.
bool ReadAt(TFile &file, Long64_t pos, std::vector<unsigned char> &bytes)
{
   R__LOCKGUARD_IMT(gROOTMutex);
   return !file.ReadBuffer(reinterpret_cast<char *>(bytes.data()), pos, static_cast<Int_t>(bytes.size()));
}

/// What is wrong with the key header of the basket record at `pos` (BasketKeyCheck.h), or empty.
/// An I/O error is left to ROOT's own read, which reports it.
std::string DamagedBasketKey(TFile &file, Long64_t pos, Int_t len)
{
   std::vector<unsigned char> bytes(std::min<std::size_t>(len > 0 ? len : 0, kBasketKeyProbe));
   if (bytes.empty() || !ReadAt(file, pos, bytes))
      return len > 0 ? std::string() : "its record length " + std::to_string(len) + " is not positive";
   const std::size_t keyLength = BasketKeyLength(bytes.data(), bytes.size());
   if (keyLength > bytes.size() && keyLength <= static_cast<std::size_t>(len)) {
      bytes.resize(keyLength);
      if (!ReadAt(file, pos, bytes))
         return {};
   }
   return CheckBasketKey(bytes.data(), bytes.size(), len);
}

/// ROOT parses a basket's key header without bounds (BasketKeyCheck.h): true, after an error
/// naming the basket, when the one at `pos` is damaged, so that it reads as a failed basket here
/// instead of crashing the process in ROOT.
bool RefuseDamagedKey(TFile *file, Long64_t pos, Int_t len)
{
   const std::string damage = file ? DamagedBasketKey(*file, pos, len) : std::string();
   if (damage.empty())
      return false;
   const bool inBranch = tReading.basket && tReading.basket->GetBranch();
   const std::string where = inBranch ? DescribeReadingBasket() : std::string("a basket of ") + file->GetName();
   Error("Baler", "cannot read %s: its record at byte %lld is damaged: %s", where.c_str(), pos, damage.c_str());
   StopDrawOverFailedBasket(tReading.basket);
   return true;
}

/// ROOT read a basket's entry offsets from wherever its fLast points (BasketKeyCheck.h): true,
/// after an error naming the basket, when they cannot be those it was written with, so that it
/// reads as failed rather than giving other entries' bytes as its values.
bool RefuseDamagedEntryOffsets(TBasket &basket, Long64_t pos)
{
   TBranch *branch = basket.GetBranch();
   TBuffer *buffer = basket.GetBufferRef();
   if (!branch || branch->GetEntryOffsetLen() <= 0 || !buffer ||
       static_cast<Long64_t>(buffer->BufferSize()) < Long64_t(basket.GetKeylen()) + basket.GetObjlen())
      return false;
   const std::string damage =
      CheckEntryOffsets(reinterpret_cast<const unsigned char *>(buffer->Buffer()), basket.GetKeylen(),
                        basket.GetObjlen(), basket.GetLast(), basket.GetNevBuf(), basket.GetEntryOffset());
   if (damage.empty())
      return false;
   Error("Baler", "cannot read %s: its record at byte %lld is damaged: %s", DescribeReadingBasket().c_str(), pos,
         damage.c_str());
   return true;
}

/// TBasket::LoadBasketBuffers: a basket's record read whole, undecoded (`baler compress` copies
/// baskets this way, and so does ROOT's fast copy). The file's models become known to the process
/// here: a fast copy's output is closed, and its models looked for (CopiedBaskets.h), after rootcp
/// has closed the input that holds them.
Int_t LoadBasketBuffersHook(TBasket *basket, Long64_t pos, Int_t len, TFile *file, TTree *tree)
{
   if (file)
      LoadModelsOf(*file);
   ReadingBasket outer = tReading;
   tReading = ReadingBasket{basket, pos};
   const Int_t result = RefuseDamagedKey(file, pos, len) ? 1 : gRootLoadBasketBuffers(basket, pos, len, file, tree);
   tReading = outer;
   return result;
}

/// The TTreeCacheUnzip that unzips in parallel through which `basket` is read, or nullptr. Such a
/// cache parses the keys of its baskets in its own tasks, where no hook of ours runs, so checking
/// them here protects nothing; and a read of ours through it stops it from unzipping anything
/// ahead of the reader (GetNUnzip() stays 0: tests/test_concurrency.py).
TTreeCacheUnzip *ParallelUnzipCache(TBasket *basket, TFile *file)
{
   TBranch *branch = basket ? basket->GetBranch() : nullptr;
   if (!file || !branch || !TTreeCacheUnzip::IsParallelUnzip())
      return nullptr;
   return dynamic_cast<TTreeCacheUnzip *>(file->GetCacheRead(branch->GetTree()));
}

/// TTreeCacheUnzip unzips no basket ahead of the reader that is longer than 4 times this size.
class UnzipAheadLimit : public TTreeCacheUnzip {
public:
   /// Written only while it is not 0 (before the cache's tasks start, or after TTree::SetCacheSize
   /// set it again): the tasks read it as they run.
   static void StopUnzippingAhead(TTreeCacheUnzip &cache)
   {
      Long64_t &limit = cache.*(&UnzipAheadLimit::fUnzipBufferSize);
      if (limit != 0)
         limit = 0;
   }
};

/// An object member's basket unzipped ahead of the reader, in the cache's tasks, has no basket to
/// fetch its carriers' for, and fails (NotTheReadingBasket); the task then says so with
/// TObject::Error, which takes ROOT's core lock, and a reader closing the file holds that lock
/// while it waits for the task: the process hung (6 of 8 TTree::Draw runs over HZZ's muons with
/// parallel unzip). For the trees of a file that holds an object model, the cache unzips nothing
/// ahead (before it starts its tasks, in the read that fills it): the reader unzips each basket.
void StopUnzippingAheadOfObjectMembers(TTreeCacheUnzip &cache, TFile &file)
{
   if (HoldsObjectModel(file))
      UnzipAheadLimit::StopUnzippingAhead(cache);
}

Int_t ReadBasketBuffersHook(TBasket *basket, Long64_t pos, Int_t len, TFile *file)
{
   ReadingBasket outer = std::move(tReading);
   tReading = ReadingBasket{basket, pos};
   TTreeCacheUnzip *parallelUnzip = ParallelUnzipCache(basket, file);
   if (!parallelUnzip && RefuseDamagedKey(file, pos, len)) {
      tReading = std::move(outer);
      return 1;
   }
   // Models are fetched here, on the thread that reads the file, so that decoding (perhaps in
   // TTreeCacheUnzip's tasks, without this context) never does I/O. Whatever the branch's
   // setting: a tree copied fast into a file keeps its Baler blocks under the file's setting.
   TBranch *branch = basket ? basket->GetBranch() : nullptr;
   if (file)
      LoadModelsOf(*file);
   if (parallelUnzip)
      StopUnzippingAheadOfObjectMembers(*parallelUnzip, *file);
   tReading.keepCarrier = file && branch && branch->GetCompressionAlgorithm() == kAlgorithm && IsReadContext(*branch);
   Int_t result = gRootReadBasketBuffers(basket, pos, len, file);
   if (result == 0 && RefuseDamagedEntryOffsets(*basket, pos))
      result = 1;
   // ROOT refuses some baskets before any block reaches the unzip hook (a block header whose
   // sizes disagree with the basket's, an algorithm or method it does not know, ZLIB or ZSTD that
   // fails to decode), and its Draw would count their entries too
   if (result != 0)
      StopDrawOverFailedBasket(basket);
   if (result == 0 && tReading.carrierValues && tReading.balerBlocks == 1) {
      try {
         KeepReadCarrier(*basket, pos, tReading.decodedBytes, std::move(tReading.carrierValues));
      } catch (const std::exception &) {
         // (out of memory) the members fetch what they need
      }
   }
   tReading = std::move(outer);
   return result;
}

/// Writes the models a file's baskets were coded with into the file, before ROOT writes its
/// StreamerInfo (on TFile::Write and Close), so that the file carries each model once. (Which
/// models coded none of the baskets given to them is said at exit: ReportIdleModels.)
void WriteStreamerInfoHook(TFile *file)
{
   try {
      if (file) {
         MarkIfBalerBasketsWentIn(*file);
         EndWriteGenerations(*file);
         CarryModelsOfCopiedBaskets(*file);
         // TFile::Write saved the list of keys before this: it is saved again with the models in it
         if (WritePendingModels(*file) + DeleteRepeatedModelKeys(*file) > 0)
            file->SaveSelf(kTRUE);
      }
   } catch (const std::exception &e) {
      Error("Baler", "%s: cannot write its models: %s", file->GetName(), e.what());
   }
   gRootWriteStreamerInfo(file);
}

void PatchNewlyLoadedLibraries()
{
   std::lock_guard<std::mutex> lock(gPatchMutex);
   if (gPatcher)
      gPatcher->PatchNewObjects();
}

/// Libraries loaded after the plugin (libROOTNTuple, libNet, ... on demand) import the
/// compression functions too: every dlopen is followed by patching what it brought in.
extern "C" void *DlopenHook(const char *file, int mode)
{
   void *handle = gRealDlopen(file, mode);
   if (handle)
      PatchNewlyLoadedLibraries();
   return handle;
}

template <typename Fn>
Fn Resolve(const char *symbol)
{
   void *address = dlsym(RTLD_DEFAULT, symbol);
   if (!address)
      Fatal("Baler", "cannot find %s in the loaded ROOT libraries: this ROOT is not supported", symbol);
   return reinterpret_cast<Fn>(address);
}

/// BALER_POLICY applies to every tree the process writes; a policy we cannot honour must stop
/// the program before it writes anything, rather than be silently ignored.
void LoadPolicyFromEnvironment()
{
   const char *policy = std::getenv("BALER_POLICY");
   if (!policy || !*policy)
      return;
   try {
      std::vector<PolicyRule> rules = ParsePolicy(policy, "BALER_POLICY");
      // A relative model path names a file of the folder where the policy is first read: the
      // processes this one starts elsewhere (a framework's work area, a script that changes folder)
      // inherit the policy with the path made absolute, rather than stop on a model they cannot
      // find. (Preloaded, this runs before main, with no other thread to read the environment.)
      char folder[PATH_MAX];
      if (getcwd(folder, sizeof folder)) {
         const std::string inherited = PolicyWithAbsoluteModelPaths(rules, folder);
         if (!inherited.empty())
            setenv("BALER_POLICY", inherited.c_str(), /*overwrite=*/1);
      }
      SetPolicy(std::move(rules));
   } catch (const std::exception &e) {
      // Not ROOT's Error()/Fatal(): when preloaded, this runs before ROOT is initialised, and
      // initialising it here spawns shells that preload the plugin again, recursively.
      std::fprintf(stderr, "Error in <Baler>: %s\n", e.what());
      std::_Exit(EXIT_FAILURE);
   }
}

template <typename Fn>
void *Address(Fn function)
{
   return reinterpret_cast<void *>(function);
}

struct Installer {
   Installer()
   {
      LoadPolicyFromEnvironment();
      gRootZip = Resolve<ZipFn>("R__zipMultipleAlgorithm");
      gRootUnzipHeader = Resolve<UnzipHeaderFn>("R__unzip_header");
      gRootUnzip = Resolve<UnzipFn>("R__unzip");
      gRootWriteBuffer = Resolve<WriteBufferFn>("_ZN7TBasket11WriteBufferEv");
      gRootReadBasketBuffers = Resolve<ReadBasketBuffersFn>("_ZN7TBasket17ReadBasketBuffersExiP5TFile");
      gRootLoadBasketBuffers = Resolve<LoadBasketBuffersFn>("_ZN7TBasket17LoadBasketBuffersExiP5TFileP5TTree");
      gRootWriteStreamerInfo = Resolve<WriteStreamerInfoFn>("_ZN5TFile17WriteStreamerInfoEv");
      gRealDlopen = Resolve<DlopenFn>("dlopen");
      static SymbolPatcher patcher(
         {
            {"R__zipMultipleAlgorithm", Address(&ZipHook), Address(gRootZip)},
            {"R__unzip_header", Address(&UnzipHeaderHook), Address(gRootUnzipHeader)},
            {"R__unzip", Address(&UnzipHook), Address(gRootUnzip)},
            {"_ZN7TBasket11WriteBufferEv", Address(&WriteBufferHook), Address(gRootWriteBuffer)},
            {"_ZN7TBasket17ReadBasketBuffersExiP5TFile", Address(&ReadBasketBuffersHook),
             Address(gRootReadBasketBuffers)},
            {"_ZN7TBasket17LoadBasketBuffersExiP5TFileP5TTree", Address(&LoadBasketBuffersHook),
             Address(gRootLoadBasketBuffers)},
            {"_ZN5TFile17WriteStreamerInfoEv", Address(&WriteStreamerInfoHook), Address(gRootWriteStreamerInfo)},
            {"dlopen", Address(&DlopenHook), Address(gRealDlopen)},
         },
         Address(&ZipHook));
      std::lock_guard<std::mutex> lock(gPatchMutex);
      gPatcher = &patcher;
      gPatcher->PatchNewObjects();
      // Without a redirected compressor call, ROOT would write every basket with its own codecs
      // and never say so. Not ROOT's Error(): ROOT may not be initialised yet (see above).
      if (gPatcher->PatchedSlots("R__zipMultipleAlgorithm") == 0)
         std::fprintf(stderr, "Error in <Baler>: no call to R__zipMultipleAlgorithm in the loaded ROOT libraries "
                              "could be redirected (relocations not patched on this platform): this process "
                              "cannot write Baler baskets\n");
   }
};

const Installer gInstaller;

} // namespace
} // namespace Baler::Internal

/// Diagnostics for the tests, not an API: "zip_call_sites" (calls to ROOT's compressor redirected
/// to Baler, tests/test_hooks.py), "blocks_off_loading_thread" (Baler blocks compressed on
/// worker threads, tests/test_concurrency.py), "context_baskets_fetched" (carrier baskets an
/// object member's read decoded itself, tests/test_objects.py), "context_baskets_cached" (carrier
/// baskets whose values the process keeps, tests/test_objects.py) or "files_in_copy_ledger" (files
/// whose written baskets the plugin remembers, tests/test_ae.py); -1 for another name.
extern "C" long long BalerDiagnosticCount(const char *name)
{
   using namespace Baler::Internal;
   if (std::strcmp(name, "zip_call_sites") == 0) {
      std::lock_guard<std::mutex> lock(gPatchMutex);
      return gPatcher ? gPatcher->PatchedSlots("R__zipMultipleAlgorithm") : 0;
   }
   if (std::strcmp(name, "blocks_off_loading_thread") == 0)
      return gBlocksOffLoadingThread.load();
   if (std::strcmp(name, "context_baskets_fetched") == 0)
      return ContextBasketsFetched();
   if (std::strcmp(name, "context_baskets_cached") == 0)
      return ContextBasketsCached();
   if (std::strcmp(name, "files_in_copy_ledger") == 0)
      return static_cast<long long>(FilesInCopyLedger());
   return -1;
}
