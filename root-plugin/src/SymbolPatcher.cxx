#include "SymbolPatcher.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

namespace Baler::Internal {

namespace {

/// glibc stores most dynamic-section pointers already relocated, but not for every object
/// (e.g. the vDSO): treat values below the load base as offsets.
ElfW(Addr) Absolute(ElfW(Addr) value, ElfW(Addr) base)
{
   return value < base ? value + base : value;
}

/// The dynamic-section facts needed to walk one object's relocations.
struct DynamicInfo {
   const ElfW(Sym) *symtab = nullptr;
   const char *strtab = nullptr;
   const ElfW(Rela) *rela = nullptr;
   std::size_t relaSize = 0;
   /// How many of `rela`'s entries, at its start, are R_X86_64_RELATIVE (DT_RELACOUNT): they name
   /// no symbol, and skipping them skips most of a large C++ library's table (libCling: 262,553 of
   /// 269,564 entries).
   std::size_t relativeCount = 0;
   const ElfW(Rela) *jmprel = nullptr;
   std::size_t jmprelSize = 0;
   bool pltIsRela = true;
};

DynamicInfo ReadDynamic(const dl_phdr_info *info)
{
   DynamicInfo dyn;
   for (int i = 0; i < info->dlpi_phnum; ++i) {
      const auto &ph = info->dlpi_phdr[i];
      if (ph.p_type != PT_DYNAMIC)
         continue;
      for (auto *d = reinterpret_cast<const ElfW(Dyn) *>(info->dlpi_addr + ph.p_vaddr); d->d_tag != DT_NULL; ++d) {
         switch (d->d_tag) {
         case DT_SYMTAB: dyn.symtab = reinterpret_cast<const ElfW(Sym) *>(Absolute(d->d_un.d_ptr, info->dlpi_addr)); break;
         case DT_STRTAB: dyn.strtab = reinterpret_cast<const char *>(Absolute(d->d_un.d_ptr, info->dlpi_addr)); break;
         case DT_RELA: dyn.rela = reinterpret_cast<const ElfW(Rela) *>(Absolute(d->d_un.d_ptr, info->dlpi_addr)); break;
         case DT_RELASZ: dyn.relaSize = d->d_un.d_val; break;
         case DT_RELACOUNT: dyn.relativeCount = d->d_un.d_val; break;
         case DT_JMPREL: dyn.jmprel = reinterpret_cast<const ElfW(Rela) *>(Absolute(d->d_un.d_ptr, info->dlpi_addr)); break;
         case DT_PLTRELSZ: dyn.jmprelSize = d->d_un.d_val; break;
         case DT_PLTREL: dyn.pltIsRela = d->d_un.d_val == DT_RELA; break;
         default: break;
         }
      }
   }
   return dyn;
}

/// Writes `value` into a relocated slot, lifting write protection (RELRO) for the page if needed.
void WriteSlot(void **slot, void *value)
{
   static const long pageSize = sysconf(_SC_PAGESIZE);
   auto page = reinterpret_cast<std::uintptr_t>(slot) & ~static_cast<std::uintptr_t>(pageSize - 1);
   // Slots in RELRO are read-only after start-up; making the page writable again is harmless
   // for the process (it only loses the hardening for this page).
   auto end = reinterpret_cast<std::uintptr_t>(slot + 1);
   mprotect(reinterpret_cast<void *>(page), end - page, PROT_READ | PROT_WRITE);
   __atomic_store_n(slot, value, __ATOMIC_RELEASE);
}

struct ScanContext {
   std::vector<Redirect> *redirects;
   const std::string *selfPath;
   std::vector<std::string> *patched;
   unsigned long long *lastAdds;
   bool firstVisit = true;
   int rewritten = 0;
};

bool IsHandledType(unsigned type)
{
   return type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT || type == R_X86_64_64;
}

/// The first 8 bytes of a name (fewer if it is shorter, the rest zero), as one integer: two names
/// with different prefixes differ, so most names are told apart without a strcmp.
std::uint64_t NamePrefix(const char *name)
{
   std::uint64_t prefix = 0;
   for (unsigned i = 0; i < 8 && name[i]; ++i)
      prefix |= std::uint64_t(static_cast<unsigned char>(name[i])) << (8 * i);
   return prefix;
}

/// Which redirect a dynamic symbol names, by the symbol's index in one object's symbol table:
/// relocations name the same symbols over and over (every vtable refers to TObject's methods), so
/// each symbol's name is compared with the redirects' once per object, not once per relocation,
/// and by its prefix first: a strcmp with each redirect for each of the tens of thousands of
/// symbols that ROOT's libraries import took 5 ms of every load of the plugin.
class RedirectBySymbol {
public:
   RedirectBySymbol(const DynamicInfo &dyn, const std::vector<Redirect> &redirects) : fDyn(dyn), fRedirects(redirects)
   {
      for (const auto &redirect : redirects)
         fPrefixes.push_back(NamePrefix(redirect.symbol));
   }

   /// The index in the redirects of symbol `symbol`'s name, or -1.
   int Find(std::size_t symbol)
   {
      if (symbol >= fFound.size())
         fFound.resize(symbol + 1, kNotLooked);
      if (fFound[symbol] == kNotLooked) {
         const char *name = fDyn.strtab + fDyn.symtab[symbol].st_name;
         const std::uint64_t prefix = NamePrefix(name);
         fFound[symbol] = kNone;
         for (std::size_t i = 0; i < fRedirects.size(); ++i)
            if (fPrefixes[i] == prefix && std::strcmp(name, fRedirects[i].symbol) == 0)
               fFound[symbol] = static_cast<int>(i);
      }
      return fFound[symbol];
   }

private:
   static constexpr int kNotLooked = -2;
   static constexpr int kNone = -1;
   const DynamicInfo &fDyn;
   const std::vector<Redirect> &fRedirects;
   std::vector<std::uint64_t> fPrefixes; ///< NamePrefix of each redirect's symbol
   std::vector<int> fFound;
};

int PatchRelocations(const dl_phdr_info *info, const ElfW(Rela) *rel, std::size_t bytes, std::vector<Redirect> &redirects,
                     RedirectBySymbol &bySymbol)
{
   int rewritten = 0;
   if (!rel)
      return 0;
   for (std::size_t i = 0; i < bytes / sizeof(ElfW(Rela)); ++i) {
      const auto &r = rel[i];
      if (!IsHandledType(ELF64_R_TYPE(r.r_info)) || ELF64_R_SYM(r.r_info) == 0)
         continue;
      const int which = bySymbol.Find(ELF64_R_SYM(r.r_info));
      if (which < 0)
         continue;
      Redirect &redirect = redirects[which];
      auto **slot = reinterpret_cast<void **>(info->dlpi_addr + r.r_offset);
      // A PLT slot is always the call to this symbol (bound or still lazy, pointing into the
      // object's own PLT). A data slot is ours only if it holds exactly the original address.
      bool isCall = ELF64_R_TYPE(r.r_info) == R_X86_64_JUMP_SLOT;
      bool isOriginal = r.r_addend == 0 && *slot == redirect.original;
      if ((isCall || isOriginal) && *slot != redirect.replacement) {
         WriteSlot(slot, redirect.replacement);
         ++redirect.patched;
         ++rewritten;
      }
   }
   return rewritten;
}

int VisitObject(dl_phdr_info *info, size_t, void *data)
{
   auto *ctx = static_cast<ScanContext *>(data);
   if (ctx->firstVisit) {
      ctx->firstVisit = false;
      // dlpi_adds counts every load in the process: unchanged means nothing new to patch.
      if (info->dlpi_adds == *ctx->lastAdds)
         return 1;
      *ctx->lastAdds = info->dlpi_adds;
   }
   std::string path = info->dlpi_name ? info->dlpi_name : "";
   if (path == *ctx->selfPath)
      return 0;
   std::string key = path + "@" + std::to_string(info->dlpi_addr);
   if (std::find(ctx->patched->begin(), ctx->patched->end(), key) != ctx->patched->end())
      return 0;
   ctx->patched->push_back(key);
   DynamicInfo dyn = ReadDynamic(info);
   if (!dyn.symtab || !dyn.strtab)
      return 0;
   RedirectBySymbol bySymbol(dyn, *ctx->redirects);
   ctx->rewritten += PatchRelocations(info, dyn.jmprel, dyn.pltIsRela ? dyn.jmprelSize : 0, *ctx->redirects, bySymbol);
   const std::size_t relative = std::min(dyn.relativeCount, dyn.relaSize / sizeof(ElfW(Rela)));
   if (dyn.rela)
      ctx->rewritten += PatchRelocations(info, dyn.rela + relative, dyn.relaSize - relative * sizeof(ElfW(Rela)),
                                         *ctx->redirects, bySymbol);
   return 0;
}

} // namespace

SymbolPatcher::SymbolPatcher(std::vector<Redirect> redirects, const void *self) : fRedirects(std::move(redirects))
{
   Dl_info selfInfo{};
   if (dladdr(self, &selfInfo) && selfInfo.dli_fname)
      fSelfPath = selfInfo.dli_fname;
}

int SymbolPatcher::PatchedSlots(const char *symbol) const
{
   for (const auto &redirect : fRedirects)
      if (std::strcmp(redirect.symbol, symbol) == 0)
         return redirect.patched;
   return 0;
}

int SymbolPatcher::PatchNewObjects()
{
   ScanContext ctx{&fRedirects, &fSelfPath, &fPatched, &fLastAdds};
   dl_iterate_phdr(VisitObject, &ctx);
   return ctx.rewritten;
}

} // namespace Baler::Internal
