// baler-root: error-bounded lossy compression of float branches, as a ROOT compression algorithm.
//
//    #include "Baler/Baler.h"
//    file->SetCompressionSettings(Baler::kLossless);   // every basket goes through Baler
//
// Files written this way make ROOT load libBalerROOT by itself when they are read, as long as
// the library's directory is on the library path (LD_LIBRARY_PATH).
#ifndef BALER_BALER_H
#define BALER_BALER_H

// In a ROOT macro, including this header is enough: it loads the plugin as well.
#if defined(__CLING__) && !defined(__ROOTCLING__)
#pragma cling load("libBalerROOT")
#endif

namespace Baler {

/// The ROOT compression algorithm code of Baler. ROOT uses 0-6 (6 means "undefined" to some
/// tools, e.g. RDataFrame Snapshot), so Baler takes a code far from any that ROOT may add.
constexpr int kAlgorithm = 42;

/// Compression setting (for TFile/TBranch::SetCompressionSettings) for Baler's lossless coding
/// of float and double values: bit-exact, smaller than ZSTD.
constexpr int kLossless = kAlgorithm * 100 + 99;

} // namespace Baler

#endif
