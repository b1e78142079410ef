// The ROOT I/O behind the `baler` command line, as a small C ABI compiled into libBalerROOTTools
// (which links the plugin, libBalerROOT; a process that only reads or writes Baler files loads the
// plugin alone).
//
// The CLI (rust/baler-cli) loads libBalerROOTTools at run time and calls these functions;
// everything that touches ROOT stays in C++. Results come back as plain data through callbacks:
//
//  - one `BalerBranchRow` per branch that holds data (compress, inspect), valid only during the
//    call of the row callback (copy what you keep);
//  - progress as (done, total) counts, e.g. entries (may be null);
//  - warnings (a selection that matched nothing, ...) as one line each (may be null);
//  - errors as a return value != 0 and one line of text written into `error` (NUL-terminated,
//    truncated to `errorSize`): BALER_BAD_OPTIONS where the options would fail for any file (a
//    --codec or --policy that does not parse), 1 for anything else.
//
// The functions are not re-entrant: call them from one thread at a time.
#ifndef BALER_COMMANDAPI_H
#define BALER_COMMANDAPI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bumped whenever a signature or a struct below changes; the CLI checks it after loading.
#define BALER_COMMAND_API_VERSION 7

/// The status of a call whose options would fail for any file, whatever its content.
#define BALER_BAD_OPTIONS 2

/// One branch of one tree.
typedef struct BalerBranchRow {
   const char *tree;         ///< path of the tree in the file, e.g. "Events" or "dir/Events"
   const char *branch;       ///< full branch name
   const char *type;         ///< type of the values, e.g. "Float_t[]", "vector<float>", "Int_t"
   long long entries;        ///< entries of the branch
   long long bytesBefore;    ///< compress: compressed bytes in the input file (0 for inspect)
   long long bytes;          ///< compressed bytes in the (output) file, basket keys included
   long long totalBytes;     ///< uncompressed bytes of the branch's baskets
   int compression;          ///< the branch's compression setting, algorithm*100 + level
   const char *codec;        ///< what stores the values: "baler bits:10", "baler lossless", "zstd 5", ...
   const char *codecBefore;  ///< compress: the input branch's codec description (inspect: same as codec)
} BalerBranchRow;

typedef void (*BalerRowCallback)(const BalerBranchRow *row, void *user);
typedef void (*BalerProgressCallback)(const char *what, long long done, long long total, void *user);
typedef void (*BalerWarningCallback)(const char *message, void *user);

/// What baler_compress_file stores how. Only the baskets of the float and double branches selected
/// here are recoded with Baler (lossy specs act on their float and double values only), and only
/// where Baler's blocks are smaller than the stored basket; every other basket is copied as stored.
typedef struct BalerCompressOptions {
   /// Codec (e.g. "bits:10", "rel:1e-4") for the float and double branches matching one of the
   /// `nGlobs` shell globs (all when nGlobs == 0); NULL: none (only `policy` selects).
   const char *codecSpec;
   const char *const *globs;
   int nGlobs;
   /// With nTrees > 0 only the trees with those names (or paths "dir/name") are rewritten; other
   /// trees are copied with their own compression. A name that matches no tree is an error.
   const char *const *trees;
   int nTrees;
   /// Per-branch codecs in the BALER_POLICY grammar (`TREE/BRANCHGLOB=SPEC,...`, globs on the
   /// tree's and the branch's names, first match wins), taking precedence over `codecSpec`;
   /// NULL or "": none. A rule that selects no float or double branch is reported as a warning,
   /// like a glob of `globs`.
   const char *policy;
   /// Threads that code baskets, the calling one included; 0: one per core, at most 4. The output
   /// is the same for any number.
   int threads;
} BalerCompressOptions;

/// BALER_COMMAND_API_VERSION of the library.
int baler_command_api_version(void);

/// Rewrites every TTree of `inPath` into `outPath` with Baler as `options` say, basket by basket
/// (no object is streamed: classes need no dictionary; entry boundaries, clusters and branch
/// structure stay the input's); all other objects (histograms, directories, other keys) are copied. `outPath` is written under a temporary name in
/// its folder and renamed on success: a failed call leaves an existing file there untouched. An
/// `outPath` that is a directory or the input file itself (by inode) is refused. One row per branch
/// of every rewritten tree.
int baler_compress_file(const char *inPath, const char *outPath, const BalerCompressOptions *options,
                        BalerRowCallback onRow, BalerProgressCallback onProgress, BalerWarningCallback onWarning,
                        void *user, char *error, size_t errorSize);

/// The inverse of baler_compress_file, for sharing: rewrites `inPath` into `outPath` (the same
/// safety: a temporary name, renamed on success) as a standard ROOT file that needs no plugin.
/// Every basket that holds a Baler block is decoded and stored with ROOT's compression `settings`
/// (algorithm * 100 + level, e.g. 505; uncompressed where that is not smaller), as are the trees'
/// headers; every other basket and object is copied as stored. The file keeps no Baler model,
/// note or marker class. `threads` as in BalerCompressOptions. One row per branch, as compress,
/// and compress's warning for a tree whose lower cycles are left out.
int baler_export_file(const char *inPath, const char *outPath, int settings, int threads, BalerRowCallback onRow,
                      BalerProgressCallback onProgress, BalerWarningCallback onWarning, void *user, char *error,
                      size_t errorSize);

/// One row per branch of every TTree in `path` (all directories), with its compression.
int baler_inspect_file(const char *path, BalerRowCallback onRow, void *user, char *error, size_t errorSize);

/// Writes a synthetic sample of `events` entries (tree "Events", ZSTD-505), deterministic for
/// `seed`, under a temporary name renamed to `outPath` on success. `sample` (NULL: "physics"):
///  - "physics": jets and muons as jagged leaf arrays (nJet, Jet_pt[nJet]/F, ...; nMuon, Muon_pt,
///    ...), electrons as std::vector<float>, scalars (run, luminosityBlock, event, MET_pt, MET_phi,
///    genWeight/D) and a correlated 8x8 calorimeter cell array Calo_E[64]/F; a histogram
///    "meta/h_leading_Jet_pt";
///  - "detector": calorimeter showers CaloShower_E[256]/F (16 layers x 16 strips) and digitised
///    pulses Pulse_adc[32]/F with their true energy, amplitude, time and pedestal, and the noise
///    sigmas as TNamed "meta/CaloShower_E_noise_sigma", "meta/Pulse_adc_noise_sigma" (docs/generated-data.md).
/// Both write a TNamed "meta/generator" holding the command that makes the same file.
int baler_generate_sample(const char *outPath, const char *sample, long long events, unsigned long long seed,
                          BalerProgressCallback onProgress, void *user, char *error, size_t errorSize);

#ifdef __cplusplus
}
#endif

#endif
