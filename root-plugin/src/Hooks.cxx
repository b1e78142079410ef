// Installs Baler into ROOT's compression entry points when libBalerROOT is loaded.
//
// ROOT 6.40 has no compression plugin interface, so the plugin redirects the calls that ROOT's
// libraries make to R__zipMultipleAlgorithm, R__unzip_header and R__unzip (and to
// TBasket::WriteBuffer, to know which basket is being compressed) — see docs/design.md.
// Calls for other algorithms, and blocks that are not Baler's, go to ROOT's own functions.
#include "BasketLayout.h"
#include "Baler/Baler.h"
#include "BasketCodec.h"
#include "Baler/FileMarker.h"
#include "RootBlockHeader.h"
#include "SymbolPatcher.h"

#include "RZip.h"
#include "TBasket.h"
#include "TBranch.h"
#include "TClass.h"
#include "TError.h"
#include "TVirtualStreamerInfo.h"

#include <dlfcn.h>
#include <mutex>

namespace Baler::Internal {
namespace {

using ZipFn = void (*)(int, int *, const char *, int *, char *, int *, ROOT::RCompressionSetting::EAlgorithm::EValues);
using UnzipHeaderFn = int (*)(int *, const unsigned char *, int *);
using UnzipFn = void (*)(int *, const unsigned char *, int *, unsigned char *, int *);
using WriteBufferFn = Int_t (*)(TBasket *);
using DlopenFn = void *(*)(const char *, int);

ZipFn gRootZip = nullptr;
UnzipHeaderFn gRootUnzipHeader = nullptr;
UnzipFn gRootUnzip = nullptr;
WriteBufferFn gRootWriteBuffer = nullptr;
DlopenFn gRealDlopen = nullptr;

/// The basket whose TBasket::WriteBuffer is running on this thread. ROOT calls the compressor
/// from inside WriteBuffer on the same thread, also under implicit multi-threading.
thread_local TBasket *tWritingBasket = nullptr;

/// Non-basket callers (keys, StreamerInfo, RNTuple pages, messages) that inherit Baler's
/// algorithm code get ROOT's own ZSTD, so that everything but basket data stays standard.
constexpr int kMetadataZstdLevel = 5;

std::mutex gPatchMutex;
SymbolPatcher *gPatcher = nullptr;

/// Puts the marker class into the StreamerInfo of the file being written (see FileMarker.h).
void TagFileForAutoload(TBasket &basket)
{
   static TVirtualStreamerInfo *markerInfo = Baler::Requires_libBalerROOT::Class()->GetStreamerInfo();
   if (TBuffer *buffer = basket.GetBufferRef())
      buffer->TagStreamerInfo(markerInfo);
}

bool IsBalerBranch(TBasket &basket)
{
   TBranch *branch = basket.GetBranch();
   return branch && branch->GetCompressionAlgorithm() == kAlgorithm;
}

Int_t WriteBufferHook(TBasket *basket)
{
   if (basket && IsBalerBranch(*basket))
      TagFileForAutoload(*basket);
   TBasket *outer = tWritingBasket;
   tWritingBasket = basket;
   Int_t result = gRootWriteBuffer(basket);
   tWritingBasket = outer;
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

extern "C" void ZipHook(int cxlevel, int *srcsize, const char *src, int *tgtsize, char *tgt, int *irep,
                        ROOT::RCompressionSetting::EAlgorithm::EValues algorithm)
{
   if (algorithm != kAlgorithm) {
      gRootZip(cxlevel, srcsize, src, tgtsize, tgt, irep, algorithm);
      return;
   }
   *irep = 0;
   TBasket *basket = tWritingBasket;
   if (!IsBasketData(basket, src)) {
      gRootZip(kMetadataZstdLevel, srcsize, src, tgtsize, tgt, irep, ROOT::RCompressionSetting::EAlgorithm::kZSTD);
      return;
   }
   // Like ROOT's compressors: anything that cannot be compressed (too small, no gain, an
   // error) returns 0, and ROOT then stores the basket uncompressed, i.e. exactly.
   if (*srcsize <= static_cast<int>(kRootHeaderSize) || *tgtsize <= static_cast<int>(kRootHeaderSize))
      return;
   *irep = CompressBasketBlock(*basket, cxlevel, src, static_cast<std::size_t>(*srcsize),
                               reinterpret_cast<unsigned char *>(tgt), static_cast<std::size_t>(*tgtsize));
}

extern "C" int UnzipHeaderHook(int *srcsize, const unsigned char *src, int *tgtsize)
{
   if (!IsBalerBlock(src))
      return gRootUnzipHeader(srcsize, src, tgtsize);
   *srcsize = static_cast<int>(kRootHeaderSize + PayloadSize(src));
   *tgtsize = static_cast<int>(DecodedSize(src));
   return 0;
}

extern "C" void UnzipHook(int *srcsize, const unsigned char *src, int *tgtsize, unsigned char *tgt, int *irep)
{
   if (!IsBalerBlock(src)) {
      gRootUnzip(srcsize, src, tgtsize, tgt, irep);
      return;
   }
   *irep = DecompressBalerBlock(src, static_cast<std::size_t>(*srcsize), tgt, static_cast<std::size_t>(*tgtsize));
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

struct Installer {
   Installer()
   {
      gRootZip = Resolve<ZipFn>("R__zipMultipleAlgorithm");
      gRootUnzipHeader = Resolve<UnzipHeaderFn>("R__unzip_header");
      gRootUnzip = Resolve<UnzipFn>("R__unzip");
      gRootWriteBuffer = Resolve<WriteBufferFn>("_ZN7TBasket11WriteBufferEv");
      gRealDlopen = Resolve<DlopenFn>("dlopen");
      static SymbolPatcher patcher(
         {
            {"R__zipMultipleAlgorithm", reinterpret_cast<void *>(&ZipHook), reinterpret_cast<void *>(gRootZip)},
            {"R__unzip_header", reinterpret_cast<void *>(&UnzipHeaderHook), reinterpret_cast<void *>(gRootUnzipHeader)},
            {"R__unzip", reinterpret_cast<void *>(&UnzipHook), reinterpret_cast<void *>(gRootUnzip)},
            {"_ZN7TBasket11WriteBufferEv", reinterpret_cast<void *>(&WriteBufferHook),
             reinterpret_cast<void *>(gRootWriteBuffer)},
            {"dlopen", reinterpret_cast<void *>(&DlopenHook), reinterpret_cast<void *>(gRealDlopen)},
         },
         reinterpret_cast<const void *>(&ZipHook));
      std::lock_guard<std::mutex> lock(gPatchMutex);
      gPatcher = &patcher;
      gPatcher->PatchNewObjects();
   }
};

const Installer gInstaller;

} // namespace
} // namespace Baler::Internal
