// baler-root: error-bounded lossy compression of float branches, as a ROOT compression algorithm.
//
//    #include "Baler/Baler.h"
//    file->SetCompressionSettings(Baler::Settings(10));            // floats: 10 mantissa bits
//    Baler::SetCodec(tree, "Muon_*", Baler::Codec::Rel(1e-4));     // per branch, any bound
//
// Which codec a branch gets: SetCodec > BALER_POLICY (environment) > compression setting.
// Files written this way make ROOT load libBalerROOT by itself when they are read, as long as
// the library's directory is on the library path (LD_LIBRARY_PATH).
#ifndef BALER_BALER_H
#define BALER_BALER_H

#include <stdexcept>
#include <string>

// In a ROOT macro, including this header is enough: it loads the plugin as well.
#if defined(__CLING__) && !defined(__ROOTCLING__)
#pragma cling load("libBalerROOT")
#endif

class TBranch;
class TTree;

namespace Baler {

/// The ROOT compression algorithm code of Baler. ROOT uses 0-6 (6 means "undefined" to some
/// tools, e.g. RDataFrame Snapshot), so Baler takes a code far from any that ROOT may add.
constexpr int kAlgorithm = 42;

/// Compression setting (for TFile/TBranch::SetCompressionSettings) for Baler's lossless coding
/// of float and double values: bit-exact, smaller than ZSTD.
constexpr int kLossless = kAlgorithm * 100 + 99;

/// Largest mantissa width a compression setting can ask for (a float has 23 mantissa bits).
constexpr int kMaxSettingsBits = 23;

/// Compression setting that stores float and double values with their mantissa rounded to
/// `bits` bits (`bits:N`, 1..23), everything else losslessly.
inline int Settings(int bits)
{
   if (bits < 1 || bits > kMaxSettingsBits)
      throw std::invalid_argument("Baler::Settings: bits must be 1.." + std::to_string(kMaxSettingsBits) +
                                  ", not " + std::to_string(bits) + " (use Baler::kLossless for lossless)");
   return kAlgorithm * 100 + bits;
}

/// A codec spec: `lossless`, `bits:N`, `rel:E`, `abs:E` or `ae:BOUND:MODEL` (see the README).
/// A value type; construction validates, so every Codec object is a valid spec.
class Codec {
public:
   /// Parses a spec; throws std::invalid_argument naming the bad part and showing the grammar.
   static Codec Parse(const std::string &spec);
   static Codec Lossless();
   /// Mantissa rounded to nearest with `n` bits: |x'-x| <= 2^-(n+1)|x|.
   static Codec Bits(int n);
   /// |x'-x| <= e|x|, 0 < e < 1.
   static Codec Rel(double e);
   /// |x'-x| <= e, e > 0.
   static Codec Abs(double e);
   /// Autoencoder `model` (a .balm path or model id) with `bound` (Bits, Rel or Abs) on every value.
   static Codec Model(const std::string &model, const Codec &bound);

   /// The canonical spec text; Parse(c.ToString()) == c.
   std::string ToString() const { return fSpec; }
   bool operator==(const Codec &other) const { return fSpec == other.fSpec; }
   bool operator!=(const Codec &other) const { return fSpec != other.fSpec; }

private:
   explicit Codec(std::string canonical) : fSpec(std::move(canonical)) {}
   std::string fSpec;
};

/// Stores the branches of `tree` whose names match `branchGlob` (shell-style: `*`, `?`, `[..]`)
/// with `codec`; returns how many branches matched (none is a warning). The codec's bound applies
/// to float and double values; everything else in those branches is stored losslessly.
int SetCodec(TTree *tree, const char *branchGlob, const Codec &codec);

/// Stores `branch` (and its sub-branches) with `codec`.
void SetCodec(TBranch *branch, const Codec &codec);

#if !defined(__CLING__) || defined(__ROOTCLING__)
namespace Internal {
/// Defined in libBalerROOT. Compiled code that includes this header (a program, an ACLiC macro
/// `write.C+`) holds its address, so that the linker keeps the library (and ACLiC loads it) and
/// its hooks are installed: code that uses only Settings() or kLossless named no symbol of the
/// library, the linker dropped it, and ROOT stored every basket with ZLIB without a word. An
/// address, not a call at start-up: ACLiC loads a macro's own libraries only after the macro's
/// static initialisers have run. (The interpreter loads the library by the pragma above.)
int LinkPlugin();
[[maybe_unused]] __attribute__((used)) static int (*const kLinkPlugin)() = &LinkPlugin;
} // namespace Internal
#endif

} // namespace Baler

#endif
