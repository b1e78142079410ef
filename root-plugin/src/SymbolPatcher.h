// Redirects calls that ROOT's shared libraries make to a named function, without a patched ROOT.
//
// A library loaded after libCore cannot interpose libCore's exported functions by symbol name
// (the dynamic linker already bound them to libCore), so instead we rewrite the importing
// libraries' relocated slots: their GOT entries (JUMP_SLOT / GLOB_DAT) and absolute pointers
// (R_X86_64_64, e.g. vtable slots). See docs/design.md, "How the plugin hooks into ROOT".
#pragma once

#include <string>
#include <vector>

namespace Baler::Internal {

struct Redirect {
   const char *symbol;  ///< the mangled/exported name whose uses we replace
   void *replacement;   ///< where those uses should point from now on
   void *original;      ///< the symbol's real address (resolved at construction)
   int patched = 0;     ///< slots redirected so far, in every object
};

class SymbolPatcher {
public:
   /// `redirects` are applied to every loaded object except the one containing `self`.
   SymbolPatcher(std::vector<Redirect> redirects, const void *self);

   /// Patches every loaded object not patched before. Cheap when nothing new was loaded.
   /// Returns how many slots were rewritten by this call.
   int PatchNewObjects();

   const std::vector<Redirect> &Redirects() const { return fRedirects; }
   /// Slots redirected so far for `symbol` (0 for a symbol not redirected).
   int PatchedSlots(const char *symbol) const;

private:
   std::vector<Redirect> fRedirects;
   std::string fSelfPath;
   std::vector<std::string> fPatched; ///< "path@base" of every object already handled
   unsigned long long fLastAdds = 0;
};

} // namespace Baler::Internal
