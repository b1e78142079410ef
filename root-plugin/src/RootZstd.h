// ROOT's ZSTD blocks (ROOT's 9-byte header with tag "ZS" and zstd's major version, around one zstd
// frame), written and read as ROOT's R__zipZSTD and R__unzipZSTD do, but through the codec's zstd
// contexts, kept one per thread. ROOT's functions create a context for every block, and creating
// one runs zstd's cpuid probe, which a virtual machine traps: about 19 µs a block on the 2-core
// development box, more than unzipping a small basket (docs/design.md). The frames are zstd's
// simple API at the level ROOT gives it, so the blocks are ROOT's bytes and every reader takes them.
#ifndef BALER_ROOTZSTD_H
#define BALER_ROOTZSTD_H

#include <cstddef>

namespace Baler::Internal {

/// ROOT's ZSTD block of `src` at compression level `level` (the last digits of setting 5xx) in
/// `tgt`, as R__zipMultipleAlgorithm writes it; 0 where that gives 0 (a level below 1, a source too
/// small to gain anything) and where the block does not fit in `tgtCapacity` bytes.
std::size_t ZipRootZstd(int level, const char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity);

/// Decodes the ROOT ZSTD block `src` (`srcSize` bytes) into `tgt` as R__unzip does, setting
/// `decoded`; false for a block this does not take (another algorithm, a header R__unzip refuses,
/// a damaged frame), which ROOT's own R__unzip then reads or reports.
bool UnzipRootZstd(const unsigned char *src, std::size_t srcSize, unsigned char *tgt, std::size_t tgtCapacity,
                   std::size_t &decoded);

} // namespace Baler::Internal

#endif
