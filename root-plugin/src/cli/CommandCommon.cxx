#include "CommandCommon.h"

#include "Baler/Baler.h"
#include "BasketCodec.h"
#include "BasketKeyCheck.h"
#include "BasketLayout.h"
#include "FileMarker.h"
#include "RootBlockHeader.h"
#include "layout/LayoutRuns.h"

#include "TBranch.h"
#include "TBranchElement.h"
#include "TError.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TList.h"
#include "TObjArray.h"
#include "TTree.h"
#include "TVirtualMonitoring.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fnmatch.h>
#include <mutex>
#include <pthread.h>
#include <set>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace Baler::Cli {
namespace {

std::string gFirstError;

/// At most this many baskets of a branch are read to say how it is stored (spread over the branch).
constexpr Int_t kBasketsDescribed = 64;

/// What a branch's stored baskets hold, read from their first bytes (nothing is decoded): the
/// descriptions of its Baler blocks ("bits:10", "ae:bits:7:<model id>") and the names of the ROOT
/// algorithms of its other compressed baskets ("zstd", "zlib", ...).
struct StoredBaskets {
   std::set<std::string> baler;
   std::set<std::string> root;
   std::set<std::string> modelIds; ///< of the models the Baler blocks were coded with
   bool balerBlocks = false;       ///< whether any basket read opens with a Baler block
   bool rawBaskets = false;        ///< whether any basket read is stored uncompressed
};

/// ROOT's name of an algorithm of a compression setting (settings / 100), as DescribeSettings says it.
std::string AlgorithmName(int algorithm)
{
   static const char *const names[] = {"zlib", "zlib", "lzma", "old", "lz4", "zstd"};
   return algorithm >= 0 && algorithm <= 5 ? names[algorithm] : "algorithm " + std::to_string(algorithm);
}

StoredBaskets ReadStoredBaskets(TBranch &branch, TFile &file)
{
   const Int_t baskets = branch.GetWriteBasket();
   const Int_t *sizes = branch.GetBasketBytes();
   StoredBaskets stored;
   std::vector<char> record;
   for (Int_t n = 0; sizes && n < std::min(baskets, kBasketsDescribed); ++n) {
      const Int_t i = baskets <= kBasketsDescribed ? n : static_cast<Int_t>(Long64_t(n) * baskets / kBasketsDescribed);
      const std::size_t keyLength = Internal::ReadBasketRecordHead(file, branch.GetBasketSeek(i), sizes[i], record);
      if (keyLength == 0) { // stored uncompressed, or unreadable
         const std::string damage = Internal::ZippedBlockStoredAsObject(
            reinterpret_cast<const unsigned char *>(record.data()), record.size(), sizes[i]);
         if (!damage.empty())
            stored.baler.insert("damaged basket (" + damage + ")");
         else
            stored.rawBaskets = true;
         continue;
      }
      const auto *block = reinterpret_cast<const unsigned char *>(record.data()) + keyLength;
      if (!Internal::IsBalerBlock(block)) {
         if (const char *algorithm = Internal::RootAlgorithmOfTag(block))
            stored.root.insert(algorithm);
         else // no reader can decode it; the branch's setting would describe it as intact
            stored.baler.insert(std::string("damaged basket (") + Internal::kNoCompressionMethod + ")");
         continue;
      }
      stored.balerBlocks = true;
      const std::string held = DescribeHeldValues(block, record.size() - keyLength);
      if (!held.empty())
         stored.baler.insert(held);
      Internal::StoredModelIds(block, record.size() - keyLength, stored.modelIds);
   }
   return stored;
}

/// The classes ROOT warned, during this call, that it has no dictionary for. The commands work on
/// baskets and never stream an object, so they need none: one line names them all at the end of
/// the call instead of one line each (64 on atlas/PHYSLITE_example.root).
std::mutex gUndictionariedMutex;
std::vector<std::string> gUndictionaried;

/// Keeps the class of a "no dictionary" warning for the summary; false for every other message.
/// Baler's own marker classes are never folded: their warning tells a reader without the plugin
/// what to do (FileMarker.h).
bool KeepUndictionaried(int level, const char *location, const char *message)
{
   static const std::string kPrefix = "no dictionary for class ";
   if (level != kWarning || !location || !message || std::strcmp(location, "TClass::Init") != 0 ||
       std::strncmp(message, kPrefix.c_str(), kPrefix.size()) != 0)
      return false;
   const char *name = message + kPrefix.size();
   if (std::strncmp(name, "Baler::", 7) == 0)
      return false;
   std::lock_guard<std::mutex> lock(gUndictionariedMutex);
   gUndictionaried.emplace_back(name, std::strcspn(name, " "));
   return true;
}

/// One warning for the classes KeepUndictionaried kept, naming the first few.
void ReportUndictionaried()
{
   constexpr std::size_t kNamed = 3;
   std::vector<std::string> names;
   {
      std::lock_guard<std::mutex> lock(gUndictionariedMutex);
      names.swap(gUndictionaried);
   }
   if (names.empty())
      return;
   std::string named;
   for (std::size_t i = 0; i < std::min(names.size(), kNamed); ++i)
      named += (i ? ", " : "") + names[i];
   if (names.size() > kNamed)
      named += " and " + std::to_string(names.size() - kNamed) + " more";
   Warning("baler", "ROOT has no dictionary for %zu classes of the input (%s); baler works on baskets and does not "
                    "need them",
           names.size(), named.c_str());
}

/// ROOT's warning that it made a file it could not recover a zombie: OpenInput says so as the
/// command's error.
bool IsUnrecoveredZombie(int level, const char *location, const char *message)
{
   return level == kWarning && location && message && std::strcmp(location, "TFile::Init") == 0 &&
          std::strstr(message, "no keys recovered");
}

void CollectingHandler(int level, Bool_t abort, const char *location, const char *message)
{
   if (KeepUndictionaried(level, location, message) || IsUnrecoveredZombie(level, location, message))
      return;
   if (level >= kError && !abort) {
      if (gFirstError.empty())
         gFirstError = std::string(location ? location : "") + ": " + (message ? message : "");
      return;
   }
   DefaultErrorHandler(level, abort, location, message);
}

/// The characters ROOT reads as parts of a URL in any file name ('#' an anchor, '?' options), with
/// no escape: a local path holding them opens (or creates) another file.
constexpr const char *kUrlMarks = "#?";

/// Why a local path holding kUrlMarks is refused.
const std::string kUrlCharacters =
   "ROOT reads '#' in a file name as a URL's anchor and '?' as its options, and would open another file";

/// The part of an output's file name its temporary file's name holds (to tell whose it is): up to
/// 64 bytes of it, cut between characters, without the '#' and '?' ROOT would misread.
std::string TemporaryStem(const std::string &name)
{
   std::size_t length = std::min<std::size_t>(name.size(), 64);
   while (length > 0 && length < name.size() && (static_cast<unsigned char>(name[length]) & 0xC0) == 0x80)
      --length; // not inside a UTF-8 character
   std::string stem = name.substr(0, length);
   for (auto mark = stem.find_first_of(kUrlMarks); mark != std::string::npos; mark = stem.find_first_of(kUrlMarks, mark))
      stem[mark] = '_';
   return stem;
}

/// The temporary file of the OutputFile alive now (the API is not re-entrant: there is at most
/// one), removed when a signal ends the process: an interrupt, or a crash inside ROOT, leaves
/// nothing behind. A fixed buffer, since a signal handler may only make async-signal-safe calls.
char gTemporaryPath[PATH_MAX] = {};

struct CleanupSignal {
   int number;
   bool terminates; ///< an interrupt: the run ends (whatever handler was there before), else a crash
   bool overDefaultOnly; ///< handled only where its action is the default, which ends the process
   struct sigaction previous;
   bool installed;
};
// The signals whose default action ends a process, beyond interrupts and crashes, too: SIGQUIT
// (Ctrl-\), SIGXCPU (a batch system's CPU limit, `ulimit -t`), SIGUSR1 ended a run and left its
// temporary file behind (a new-user sweep). Those ROOT handles itself (SIGALRM, SIGUSR2 for its
// timers and signal slots) end no run and stay ROOT's.
CleanupSignal gCleanupSignals[] = {
   {SIGINT, true, false, {}, false},     {SIGTERM, true, false, {}, false},    {SIGHUP, true, false, {}, false},
   {SIGSEGV, false, false, {}, false},   {SIGBUS, false, false, {}, false},    {SIGILL, false, false, {}, false},
   {SIGFPE, false, false, {}, false},    {SIGABRT, false, false, {}, false},   {SIGSYS, false, false, {}, false},
   {SIGQUIT, false, true, {}, false},    {SIGXCPU, false, true, {}, false},    {SIGTRAP, false, true, {}, false},
   {SIGUSR1, false, true, {}, false},    {SIGUSR2, false, true, {}, false},    {SIGALRM, false, true, {}, false},
   {SIGVTALRM, false, true, {}, false},  {SIGPROF, false, true, {}, false}};

void RemoveTemporaryOnSignal(int number)
{
   if (gTemporaryPath[0])
      unlink(gTemporaryPath);
   gTemporaryPath[0] = '\0';
   for (auto &s : gCleanupSignals)
      if (s.number == number) {
         if (s.terminates) {
            signal(number, SIG_DFL);
         } else {
            sigaction(number, &s.previous, nullptr); // ROOT's crash report, then the end
         }
         s.installed = false;
      }
   raise(number);
}

void RemoveOnSignal(const std::string &path)
{
   if (path.size() >= sizeof(gTemporaryPath))
      return;
   std::memcpy(gTemporaryPath, path.c_str(), path.size() + 1);
   struct sigaction action {};
   action.sa_handler = RemoveTemporaryOnSignal;
   sigemptyset(&action.sa_mask);
   for (auto &s : gCleanupSignals) {
      s.installed = sigaction(s.number, &action, &s.previous) == 0;
      const bool ignored = s.terminates && s.previous.sa_handler == SIG_IGN; // e.g. SIGHUP under nohup
      const bool notEnding = s.overDefaultOnly && ((s.previous.sa_flags & SA_SIGINFO) || s.previous.sa_handler != SIG_DFL);
      if (s.installed && (ignored || notEnding)) {
         sigaction(s.number, &s.previous, nullptr);
         s.installed = false;
      }
   }
}

/// Holds back, in this thread, the signals that end a run (SIGINT, SIGTERM, SIGHUP) for its
/// lifetime: one that comes meanwhile is delivered when it ends.
class InterruptsHeld {
public:
   InterruptsHeld()
   {
      sigset_t interrupts;
      sigemptyset(&interrupts);
      for (const auto &s : gCleanupSignals)
         if (s.terminates)
            sigaddset(&interrupts, s.number);
      pthread_sigmask(SIG_BLOCK, &interrupts, &fPrevious);
   }
   ~InterruptsHeld() { pthread_sigmask(SIG_SETMASK, &fPrevious, nullptr); }
   InterruptsHeld(const InterruptsHeld &) = delete;
   InterruptsHeld &operator=(const InterruptsHeld &) = delete;

private:
   sigset_t fPrevious;
};

void KeepOnSignal()
{
   for (auto &s : gCleanupSignals)
      if (s.installed) {
         sigaction(s.number, &s.previous, nullptr);
         s.installed = false;
      }
   gTemporaryPath[0] = '\0';
}

/// TFile with TFile::WriteBuffer's write, its write cache and error reporting included, and
/// without its SIG_IGN around the write (OutputFile::Create says why). A write cut short by a
/// signal leaves a partial temporary file, removed with the rest as the signal ends the run.
class InterruptibleFile : public TFile {
public:
   using TFile::TFile;

   Bool_t WriteBuffer(const char *buffer, Int_t length) override
   {
      if (!IsOpen() || !IsWritable())
         return kTRUE;
      if (const Int_t cached = WriteBufferViaCache(buffer, length))
         return cached == 2;
      // A write may store part of the buffer (a full file system takes what fits, then refuses
      // the rest with ENOSPC): the rest is written again, so that a failure comes with its cause.
      Int_t written = 0;
      while (written < length) {
         const Int_t now = SysWrite(fD, buffer + written, length - written);
         if (now < 0 && errno == EINTR) {
            errno = 0;
            continue;
         }
         if (now <= 0) {
            SetBit(kWriteError);
            SetWritable(kFALSE);
            const std::string cause = now < 0 ? std::strerror(errno) : "nothing written";
            Error("WriteBuffer", "error writing to file %s, wrote %d of %d bytes: %s", GetName(), written, length,
                  cause.c_str());
            return kTRUE;
         }
         written += now;
      }
      fBytesWrite += written;
      fgBytesWrite += written;
      if (gMonitoringWriter)
         gMonitoringWriter->SendFileWriteProgress(this);
      return kFALSE;
   }
};

void Walk(TBranch &branch, std::vector<TBranch *> &out)
{
   out.push_back(&branch);
   for (auto *sub : TRangeDynCast<TBranch>(branch.GetListOfBranches()))
      if (sub)
         Walk(*sub, out);
}

} // namespace

std::string DescribeHeldValues(const unsigned char *block, std::size_t size)
{
   std::string held;
   try {
      held = Internal::DescribeBalerBlock(block, size);
   } catch (const std::exception &e) {
      return std::string("damaged block (") + e.what() + ")";
   }
   if (held == "none")
      return "";
   // One float kind is the usual case: "f32 bits:10" reads as "bits:10".
   if (held.find(", ") == std::string::npos && (held.rfind("f32 ", 0) == 0 || held.rfind("f64 ", 0) == 0))
      held = held.substr(4);
   return held;
}

/// Between the parts of a Joined text.
constexpr std::string_view kPartSeparator = " | ";

std::string Joined(const std::set<std::string> &parts)
{
   std::string joined;
   for (const auto &part : parts)
      joined += (joined.empty() ? "" : std::string(kPartSeparator)) + part;
   return joined;
}

bool NamesRootAlgorithm(const std::string &part)
{
   for (int algorithm = 0; algorithm <= 5; ++algorithm)
      if (part == AlgorithmName(algorithm))
         return true;
   return false;
}

std::set<std::string> JoinedParts(const std::string &joined)
{
   std::set<std::string> parts;
   for (std::size_t start = 0; start <= joined.size();) {
      const std::size_t end = std::min(joined.find(kPartSeparator, start), joined.size());
      parts.insert(joined.substr(start, end - start));
      start = end + kPartSeparator.size();
   }
   return parts;
}

RootMessages::RootMessages()
   : fPreviousHandler(reinterpret_cast<void *>(SetErrorHandler(CollectingHandler))),
     fPreviousIgnoreLevel(gErrorIgnoreLevel)
{
   gFirstError.clear();
   if (gErrorIgnoreLevel < kWarning)
      gErrorIgnoreLevel = kWarning;
}

RootMessages::~RootMessages()
{
   SetErrorHandler(reinterpret_cast<ErrorHandlerFunc_t>(fPreviousHandler));
   ReportUndictionaried();
   gErrorIgnoreLevel = fPreviousIgnoreLevel;
}

std::string RootMessages::FirstError()
{
   return gFirstError;
}

void RootMessages::Clear()
{
   gFirstError.clear();
}

namespace {

/// Reads the first bytes of the file at `path` into `into` (at most `size`); how many it read, 0
/// where the file cannot be opened.
std::size_t ReadStart(const std::string &path, unsigned char *into, std::size_t size)
{
   FILE *stream = std::fopen(path.c_str(), "rb");
   if (!stream)
      return 0;
   const std::size_t got = std::fread(into, 1, size, stream);
   std::fclose(stream);
   return got;
}

/// Whether the file at `path` opens with ROOT's magic, "root".
bool StartsAsRootFile(const std::string &path)
{
   unsigned char magic[4] = {};
   return ReadStart(path, magic, sizeof magic) == sizeof magic && std::memcmp(magic, "root", sizeof magic) == 0;
}

} // namespace

OutputFile::OutputFile(const std::string &path, const std::vector<std::string> &inputs) : fPath(path)
{
   struct stat out {};
   if (stat(path.c_str(), &out) == 0) {
      if (S_ISDIR(out.st_mode))
         throw Failure("output '" + path + "' is a directory: give the path of a file");
      for (const auto &input : inputs) {
         struct stat in {};
         if (stat(input.c_str(), &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            throw Failure("output '" + path + "' is the input file '" + input + "': choose another output path");
      }
   }
   if (lstat(path.c_str(), &out) == 0) {
      // The final rename replaces whatever is at the path: a link would lose its target, a device
      // (/dev/null, as root) would become a regular file.
      if (S_ISLNK(out.st_mode))
         throw Failure("output '" + path +
                       "' is a symbolic link, which the output would replace: give the path of the file itself");
      if (!S_ISREG(out.st_mode))
         throw Failure("output '" + path + "' is not a regular file (a device, FIFO or socket): give the path of a file");
      // The rename needs only the folder's permission: a file its owner protected, or one that
      // is no ROOT file (a model the specs name, notes, a mistyped path), was replaced without a
      // word. cp refuses the first; neither is an output of an earlier run.
      if (access(path.c_str(), W_OK) != 0)
         throw Failure("output '" + path + "' exists and is not writable (" + std::strerror(errno) +
                       "): choose another output path, or make it writable to have it replaced");
      if (out.st_size > 0 && !StartsAsRootFile(path))
         throw Failure("output '" + path +
                       "' exists and is not a ROOT file, so it is not replaced: choose another output path, or remove it");
      fReplacedMode = out.st_mode & 07777;
   }
   // In the same folder, so that the final rename stays within one file system (atomic).
   const auto slash = path.find_last_of('/');
   const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
   const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
   // ROOT opens the temporary file by name: a '#' or '?' in its folder would make it create
   // another file. In the output's own name they are harmless (the rename takes any name), so
   // the temporary name is made of the output's without them, short enough for any name limit.
   if (folder.find_first_of(kUrlMarks) != std::string::npos)
      throw Failure("output folder '" + folder + "': " + kUrlCharacters + ": choose a folder without them");
   std::string pattern = folder + "/." + TemporaryStem(name) + ".baler-XXXXXX";
   // The file exists from mkstemp on, and the handler that removes it from RemoveOnSignal on: a
   // signal between the two (the SIGTERM a dataset run's child gets when its parent ends, say) left
   // it behind (seen once in test_a_dataset_run_signalled_alone_stops_its_child under load). Held
   // back until both are done, it comes to the handler.
   const InterruptsHeld held;
   const int fd = mkstemp(pattern.data());
   if (fd < 0 && errno == ENOENT)
      throw Failure("output '" + path + "': there is no folder '" + folder + "'");
   if (fd < 0)
      throw Failure("cannot create a temporary file in '" + folder + "': " + std::strerror(errno));
   close(fd);
   fTemporary = pattern;
   RemoveOnSignal(fTemporary);
}

OutputFile::~OutputFile()
{
   KeepOnSignal();
   if (!fCommitted)
      unlink(fTemporary.c_str());
}

std::unique_ptr<TFile> OutputFile::Create(const char *title, int compression) const
{
   const int settings = compression < 0 ? ROOT::RCompressionSetting::EDefaults::kUseCompiledDefault : compression;
   return std::make_unique<InterruptibleFile>(fTemporary.c_str(), "RECREATE", title, settings);
}

void OutputFile::Commit()
{
   KeepOnSignal();
   if (fReplacedMode && chmod(fTemporary.c_str(), *fReplacedMode) != 0)
      throw Failure("cannot give '" + fTemporary + "' the permissions of '" + fPath + "': " + std::strerror(errno));
   if (std::rename(fTemporary.c_str(), fPath.c_str()) != 0)
      throw Failure("cannot rename '" + fTemporary + "' to '" + fPath + "': " + std::strerror(errno));
   fCommitted = true;
}

void WriteError(char *error, std::size_t errorSize, const std::string &message)
{
   if (!error || errorSize == 0)
      return;
   std::string line = message;
   for (char &c : line)
      if (c == '\n' || c == '\r')
         c = ' ';
   const std::size_t n = std::min(line.size(), errorSize - 1);
   std::memcpy(error, line.data(), n);
   error[n] = '\0';
}

std::vector<TBranch *> AllBranches(TTree &tree)
{
   std::vector<TBranch *> out;
   for (auto *branch : TRangeDynCast<TBranch>(tree.GetListOfBranches()))
      if (branch)
         Walk(*branch, out);
   return out;
}

bool IsRNTupleClass(const char *className)
{
   return std::string(className).find("RNTuple") != std::string::npos;
}

bool HoldsData(TBranch &branch)
{
   return branch.GetListOfBranches()->GetEntriesFast() == 0 || branch.GetZipBytes() > 0;
}

std::string TypeName(TBranch &branch)
{
   if (auto *element = dynamic_cast<TBranchElement *>(&branch)) {
      // null for an object of a class the file has no StreamerInfo for (hadd and TTreeCloner leave
      // those out for classes without a dictionary, e.g. ATLAS's DataVector<xAOD::...>)
      const char *type = element->GetTypeName();
      return type && *type ? type : element->GetClassName();
   }
   auto *leaf = static_cast<TLeaf *>(branch.GetListOfLeaves()->At(0));
   if (!leaf)
      return "?";
   std::string type = leaf->GetTypeName();
   if (branch.GetListOfLeaves()->GetEntriesFast() > 1)
      return "struct";
   if (leaf->GetLeafCount())
      type += "[]";
   else if (leaf->GetLenStatic() > 1)
      type += "[" + std::to_string(leaf->GetLenStatic()) + "]";
   return type;
}

std::string DescribeSettings(int settings)
{
   const int algorithm = settings / 100;
   const int level = settings % 100;
   if (algorithm == kAlgorithm) {
      if (level == 99)
         return "baler lossless";
      if (level >= 1 && level <= 23)
         return "baler bits:" + std::to_string(level);
      return "baler level " + std::to_string(level);
   }
   if (level == 0)
      return "none";
   return AlgorithmName(algorithm) + " " + std::to_string(level);
}

namespace {

/// Whether a Baler writer marked `file` for the plugin (the marker class in its StreamerInfo): the
/// hooks do for every basket they code, `baler compress` for a file with Baler blocks.
bool MarkedForBaler(TFile &file)
{
   const TList *infos = file.GetStreamerInfoCache();
   return infos && infos->FindObject(Internal::kMarkerClass);
}

} // namespace

std::string DescribeStoredCodec(TBranch &branch, TTree &tree, TFile &file, std::set<std::string> *modelIds)
{
   const StoredBaskets stored = ReadStoredBaskets(branch, file);
   if (modelIds)
      modelIds->insert(stored.modelIds.begin(), stored.modelIds.end());
   const int settings = branch.GetCompressionSettings();
   const auto note = [&tree, &branch](const char *prefix) -> const char * {
      TObject *found = tree.GetUserInfo() ? tree.GetUserInfo()->FindObject((prefix + std::string(branch.GetName())).c_str())
                                          : nullptr;
      return found ? found->GetTitle() : nullptr;
   };
   // baskets of both kinds (a SetCodec after the first baskets were written, a fast copy that
   // appended to a tree) name both: a reader needs the plugin, and some values are exact
   if (!stored.baler.empty()) {
      std::set<std::string> held = stored.baler;
      // A basket whose Baler block was not smaller is stored by ROOT, zipped or raw, with the
      // spec's values (baler compress, the write hook), which the branch's note or Baler setting
      // names: its Baler blocks may all say `lossless` (values already on the spec's grid).
      if (!stored.root.empty() || stored.rawBaskets) {
         if (const char *spec = note(kCodecNotePrefix))
            held.insert(spec);
         else if (branch.GetCompressionAlgorithm() == kAlgorithm && settings != kLossless)
            held.insert(DescribeSettings(settings).substr(std::string("baler ").size()));
      }
      if (const char *input = note(kInputNotePrefix))
         for (const std::string &spec : JoinedParts(input))
            held.insert(spec);
      return "baler " + Joined(held) + (stored.root.empty() ? "" : std::string(kPartSeparator) + Joined(stored.root));
   }
   // Baler blocks that hold no float value: a branch with none to round (Int_t, Bool_t, an
   // unsplit object), or one whose layout the plugin cannot tell the floats of (a leaf list with a
   // Float16_t or a string, a std::list<float>), whose floats it stores exactly. Whatever the
   // setting says (bits:10 under Baler::Settings(10); a fast copy into a ZSTD file keeps the
   // blocks), the values are exact, and reading them needs the plugin.
   if (stored.balerBlocks)
      return "baler lossless";
   // rounded values that ROOT stores: under a Baler setting, or under the input's where `baler
   // compress` kept every basket of the branch in the tree's key (FileRewriter.cxx)
   if (const char *spec = note(kCodecNotePrefix))
      return std::string("baler ") + spec;
   if (branch.GetCompressionAlgorithm() == kAlgorithm) {
      // ROOT's blocks in a file no Baler writer marked hold exact values: ZLIB where a process
      // without the plugin wrote a Baler setting (ROOT zips an algorithm it does not know with
      // ZLIB), the input's algorithm where a fast copy (CopyEntries(..., "fast") after SetCodec)
      // kept the baskets as stored. Where Baler rounded values that ROOT then zipped (baler
      // compress, a basket no Baler block made smaller), the file is marked, or the tree has a
      // note. A branch without floats is also stored in ZSTD where that beats Baler's block.
      if (!stored.root.empty() && !MarkedForBaler(file) &&
          (stored.root.count("zlib") || Internal::HasCodableFloatLeaf(branch)))
         return Joined(stored.root) + " (exact: the Baler setting was not applied)";
      // A Baler setting rounds float and double values only: any other branch is stored exactly
      // (Int_t, Bool_t, Float16_t and Double32_t among them), whatever bits:N the setting names.
      if (!Internal::HasCodableFloatLeaf(branch))
         return "baler lossless";
      return DescribeSettings(settings);
   }
   // A tree copied fast (TTree::CloneTree(-1, "fast"), hadd without -O) keeps its baskets as they
   // were stored, under the compression setting of the file it was copied into.
   const bool settingNamesThem = settings % 100 != 0 && stored.root == std::set<std::string>{AlgorithmName(settings / 100)};
   const std::string described = !stored.root.empty() && !settingNamesThem ? Joined(stored.root) : DescribeSettings(settings);
   if (const char *exported = note(kExportNotePrefix))
      return described + ", from baler " + exported;
   return described;
}

void PresetRootStartup()
{
   const std::string includes = BALER_CPPSYSINCL;
   bool includesExist = includes.find_first_not_of(':') != std::string::npos;
   for (std::size_t begin = 0; includesExist && begin < includes.size();) {
      const std::size_t end = std::min(includes.find(':', begin), includes.size());
      struct stat folder {};
      if (end > begin && (stat(includes.substr(begin, end - begin).c_str(), &folder) != 0 || !S_ISDIR(folder.st_mode)))
         includesExist = false;
      begin = end + 1;
   }
   if (includesExist)
      setenv("CLING_CPPSYSINCL", includes.c_str(), /*overwrite=*/0);
   if (*BALER_LDSYSPATH) {
      setenv("ROOT_LDSYSPATH", BALER_LDSYSPATH, 0);
      setenv("CLING_LDSYSPATH", BALER_LDSYSPATH, 0);
   }
}

std::unique_ptr<TFile> OpenForReading(const std::string &path)
{
   if (path.find("://") != std::string::npos)
      return std::unique_ptr<TFile>(TFile::Open(path.c_str(), "READ"));
   if (path.find_first_of(kUrlMarks) != std::string::npos)
      throw Failure("cannot open '" + path + "': " + kUrlCharacters + ": rename the file, or give a link to it without them");
   // ROOT reads a first name with a colon as a protocol ("file:e.root" opened e.root): such a
   // relative path is opened as ./path, which names the same file
   const bool colonInFirstName = path.find(':') < path.find('/');
   return std::make_unique<TFile>((colonInFirstName ? "./" + path : path).c_str(), "READ");
}

/// The end of the file that the header of the local ROOT file `path` records (its size when
/// whole), or -1 where the path holds no such header: the magic "root", the format version (an
/// fEND of 8 bytes from version 1000000 on, else 4), fBEGIN, then fEND, all big-endian.
long long RecordedEnd(const std::string &path)
{
   unsigned char header[20] = {};
   const std::size_t got = ReadStart(path, header, sizeof header);
   if (got < 16 || std::memcmp(header, "root", 4) != 0)
      return -1;
   using Internal::ReadBigEndian32;
   const bool wide = ReadBigEndian32(header + 4) >= 1000000;
   if (wide && got < 20)
      return -1;
   const std::uint64_t end = wide ? std::uint64_t(ReadBigEndian32(header + 12)) << 32 | ReadBigEndian32(header + 16)
                                  : ReadBigEndian32(header + 12);
   return static_cast<long long>(end);
}

std::unique_ptr<TFile> OpenInput(const std::string &path)
{
   std::unique_ptr<TFile> file = OpenForReading(path);
   if (file && !file->IsZombie())
      return file;
   struct stat local {};
   const long long end = path.find("://") == std::string::npos ? RecordedEnd(path) : -1;
   if (end > 0 && stat(path.c_str(), &local) == 0) {
      RootMessages::Clear(); // ROOT's "trying to recover", which came to nothing
      if (local.st_size < end)
         throw Failure("cannot open '" + path + "': the file is truncated (" + std::to_string(local.st_size) + " of its " +
                       std::to_string(end) + " bytes), and ROOT cannot open what is left");
      // longer than its header says: a file never closed, whose header was last saved earlier
      throw Failure("cannot open '" + path + "': it is a ROOT file that was not closed (a job cut short, or one still "
                    "writing) or is damaged, and ROOT recovered nothing from it (its header records " +
                    std::to_string(end) + " bytes, the file holds " + std::to_string(local.st_size) + ")");
   }
   throw Failure("cannot open '" + path + "' as a ROOT file");
}

bool GlobMatch(const std::string &pattern, const std::string &name)
{
   return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

} // namespace Baler::Cli

extern "C" int baler_command_api_version(void)
{
   return BALER_COMMAND_API_VERSION;
}
