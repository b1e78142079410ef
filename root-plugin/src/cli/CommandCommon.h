// Helpers shared by the command-line C ABI (CommandApi.h): error capture, branch walking, codec names.
#ifndef BALER_CLI_COMMANDCOMMON_H
#define BALER_CLI_COMMANDCOMMON_H

#include "Baler/CommandApi.h"
#include "CodecSelection.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/types.h>

class TBranch;
class TFile;
class TTree;

namespace Baler::Cli {

/// An error to report to the caller as one line.
struct Failure : std::runtime_error {
   using std::runtime_error::runtime_error;
};

/// A Failure of the options themselves, which would fail for any file: Guarded returns
/// BALER_BAD_OPTIONS for it, so that a dataset run stops at its first file.
struct BadOptions : Failure {
   using Failure::Failure;
};

/// For the duration of one API call: ROOT's errors are collected instead of printed (the caller
/// prints one line), ROOT's Info messages are silenced, warnings are printed as usual except
/// "no dictionary for class" ones, which become one warning at the end.
class RootMessages {
public:
   RootMessages();
   ~RootMessages();
   RootMessages(const RootMessages &) = delete;
   RootMessages &operator=(const RootMessages &) = delete;
   /// The first error ROOT reported during this call ("" when none).
   static std::string FirstError();
   static void Clear();

private:
   void *fPreviousHandler;
   int fPreviousIgnoreLevel;
};

/// A file written under a temporary name in the folder of its final path, and renamed to that
/// path by Commit(). Until then nothing at the final path is touched, so a run that fails at any
/// point leaves an existing file there as it was; the temporary file is removed on destruction,
/// and by a signal that ends the process meanwhile (SIGINT, SIGTERM, SIGHUP unless ignored: the
/// run ends; a crash: then whatever handled it before, e.g. ROOT's report). At most one exists at
/// a time.
class OutputFile {
public:
   /// Refuses (throws Failure) a path that is a directory, a symbolic link, a device, FIFO or
   /// socket, the same file as one of `inputs` (compared by device and inode: other spellings and
   /// hard links are caught too), or in a folder whose name holds '#' or '?' (OpenForReading).
   OutputFile(const std::string &path, const std::vector<std::string> &inputs);
   ~OutputFile();
   OutputFile(const OutputFile &) = delete;
   OutputFile &operator=(const OutputFile &) = delete;
   /// A new ROOT file at the temporary path (a zombie if it could not be created), to write and
   /// close before Commit(). It writes as TFile does, but a Ctrl-C during a write is not lost: TFile
   /// ignores SIGINT around each write (TFile::WriteBuffer sets SIG_IGN, then puts the handler
   /// back), the kernel drops a signal that comes while it is ignored, and a run interrupted inside
   /// one of its writes (a few percent of a rewrite's time) went on to replace OUT. Still exposed:
   /// the file's header and first key, which TFile's constructor writes with TFile's own method.
   std::unique_ptr<TFile> Create(const char *title = "", int compression = -1) const;
   /// Renames the temporary file to the final path, replacing what was there.
   void Commit();

private:
   std::string fPath;
   std::string fTemporary;
   /// The permissions of the file the output replaces, which it keeps (a private file stays so).
   std::optional<mode_t> fReplacedMode;
   bool fCommitted = false;
};

/// Opens `path` for reading as TFile::Open does. A local path is opened directly: TFile::Open
/// first loads ROOT's handlers for remote protocols, a macro each run by the interpreter, which
/// costs a command about a tenth of a second; a URL (`proto://`) goes through TFile::Open. Null
/// when it fails. A local path holding '#' or '?' is refused (throws Failure): ROOT would open
/// another file ("a#b.root" opens "a").
std::unique_ptr<TFile> OpenForReading(const std::string &path);

/// OpenForReading for a command's input file, which must open: throws Failure naming the file
/// otherwise, and for a truncated file (a copy or transfer cut short) says so, in place of ROOT's
/// warning that it recovered no key and its error "trying to recover".
std::unique_ptr<TFile> OpenInput(const std::string &path);

/// Hands ROOT and cling, before their interpreter starts, the answers to the three commands they
/// would run to learn the linker's search path and the C++ compiler's include folders (about a
/// tenth of a second): those found when this library was built (root-plugin/CMakeLists.txt), in
/// ROOT_LDSYSPATH, CLING_LDSYSPATH and CLING_CPPSYSINCL. A variable already set is kept, and the
/// include folders are handed only while each of them exists (else ROOT asks the compiler).
void PresetRootStartup();

/// Runs `body`, turning exceptions and ROOT errors into the C ABI's return value and message.
template <typename Body>
int Guarded(char *error, std::size_t errorSize, Body &&body);

void WriteError(char *error, std::size_t errorSize, const std::string &message);

/// Every branch of `tree`, depth first (parents before their sub-branches).
std::vector<TBranch *> AllBranches(TTree &tree);

/// Whether a key's class is an RNTuple's anchor (ROOT::RNTuple, or ROOT::Experimental::RNTuple in
/// files of ROOT 6.30 to 6.32), which the commands that walk TTrees cannot describe or copy.
bool IsRNTupleClass(const char *className);

/// True when a branch holds data of its own (a leaf branch, or any branch with baskets).
bool HoldsData(TBranch &branch);

/// "Float_t", "Float_t[]", "Float_t[64]", "vector<float>", ...
std::string TypeName(TBranch &branch);

/// "baler bits:10", "baler lossless", "zstd 5", "zlib 1", "none", ...
std::string DescribeSettings(int settings);

using Internal::kCodecNotePrefix;

/// Prefix of the notes in a tree's UserInfo that `baler export` leaves, one TNamed per branch whose
/// values a Baler spec gave (its decoded blocks, or the input's description of the branch), titled
/// with the spec ("bits:10"), which `baler inspect` and `baler eval` still say.
constexpr const char *kExportNotePrefix = "baler.exported:";

/// Prefix of the notes in a tree's UserInfo that `baler compress` leaves for a branch of a Baler
/// input that it coded again into blocks of which some hold their values exactly (values already on
/// the spec's grid, as a second run at the same spec finds them), titled with the lossy specs the
/// input's values held ("bits:10"): relative to the original, those values still hold them, which
/// the exact blocks cannot say, and `baler eval` against the original held them to exactness.
constexpr const char *kInputNotePrefix = "baler.input:";

/// What a Baler block (`size` bytes from its first) says it holds, as `baler inspect` names it:
/// "bits:10", "ae:bits:7:<model id>", "f32 bits:10, f64 lossless", "damaged block (...)"; "" for
/// a block that holds no float.
std::string DescribeHeldValues(const unsigned char *block, std::size_t size);

/// The parts, in order, joined by " | " (a branch whose baskets hold different specs).
std::string Joined(const std::set<std::string> &parts);

/// The parts of a Joined text.
std::set<std::string> JoinedParts(const std::string &joined);

/// Whether a part of a stored codec's description names one of ROOT's own algorithms ("zstd"):
/// baskets that hold exact values beside a branch's Baler blocks.
bool NamesRootAlgorithm(const std::string &part);

/// How `branch` of `tree` is stored in `file`, as `baler inspect` says it, right whoever wrote
/// the file: what its stored Baler blocks say they hold; else, for a Baler branch, the spec noted
/// in the tree's UserInfo; else its compression setting, or the ROOT algorithms its baskets were
/// compressed with where the setting does not name them (a tree copied fast into another file),
/// followed by ", from baler SPEC" for a branch whose values `baler export` took from a Baler spec.
/// With `modelIds`, adds the ids of the models the described blocks were coded with.
std::string DescribeStoredCodec(TBranch &branch, TTree &tree, TFile &file, std::set<std::string> *modelIds = nullptr);

/// Shell-style glob match (fnmatch).
bool GlobMatch(const std::string &pattern, const std::string &name);

template <typename Body>
int Guarded(char *error, std::size_t errorSize, Body &&body)
{
   WriteError(error, errorSize, "");
   PresetRootStartup();
   RootMessages messages;
   try {
      body();
      return 0;
   } catch (const BadOptions &e) {
      WriteError(error, errorSize, e.what());
      return BALER_BAD_OPTIONS;
   } catch (const std::exception &e) {
      std::string message = e.what();
      const std::string root = RootMessages::FirstError();
      if (!root.empty() && message.find(root) == std::string::npos)
         message += " (ROOT: " + root + ")";
      WriteError(error, errorSize, message);
   } catch (...) {
      WriteError(error, errorSize, "unexpected error");
   }
   return 1;
}

} // namespace Baler::Cli

#endif
