// The public C++ API of Baler.h: codec values and per-branch selection.
#include "Baler/Baler.h"
#include "BasketLayout.h"
#include "CodecSelection.h"
#include "ModelStore.h"

#include "TBranch.h"
#include "TError.h"
#include "TObjArray.h"
#include "TTree.h"

#include <charconv>
#include <fnmatch.h>

namespace Baler {

namespace {

/// `value` as a spec writes it: what printf's "%.17g" gives in the C locale, whatever locale the
/// program set (under de_DE, printf would write "0,001", which no spec parses).
std::string FormatNumber(double value)
{
   char text[32];
   const auto written = std::to_chars(text, text + sizeof(text), value, std::chars_format::general, 17);
   return std::string(text, written.ptr);
}

/// True when the branch or one of its sub-branches stores values a lossy codec acts on.
bool HoldsFloats(TBranch &branch)
{
   if (Internal::HasCodableFloatLeaf(branch))
      return true;
   for (auto *sub : TRangeDynCast<TBranch>(branch.GetListOfBranches()))
      if (HoldsFloats(*sub))
         return true;
   return false;
}

/// Registers `codec` for the branch and all its sub-branches, and gives them Baler's algorithm
/// code so that ROOT hands their baskets to the plugin (and the file records that they are Baler's).
void Apply(TBranch &branch, const Internal::SpecPtr &spec)
{
   branch.SetCompressionSettings(kLossless); // recursive; the registered codec decides the coding
   std::vector<TBranch *> pending{&branch};
   while (!pending.empty()) {
      TBranch *current = pending.back();
      pending.pop_back();
      Internal::RegisterBranchCodec(*current, spec);
      for (auto *sub : TRangeDynCast<TBranch>(current->GetListOfBranches()))
         pending.push_back(sub);
   }
}

/// Parses a spec; an `ae:` spec's model must be at hand now, not first missed when baskets are written.
Internal::SpecPtr ParseSpec(const std::string &text)
{
   Internal::SpecPtr spec;
   try { // its message names the bad part and shows the grammar
      spec = std::make_shared<const baler::codec::Spec>(baler::codec::Spec::Parse(text));
   } catch (const baler::codec::Error &e) {
      throw std::invalid_argument(e.what());
   }
   try {
      if (!spec->ModelReference().empty())
         Internal::ModelForSpec(*spec);
   } catch (const baler::codec::Error &e) { // which spec's model, where the program builds the text
      throw std::invalid_argument("codec spec \"" + text + "\": " + e.what());
   }
   return spec;
}

} // namespace

Codec Codec::Parse(const std::string &spec)
{
   return Codec(ParseSpec(spec)->ToString());
}

Codec Codec::Lossless()
{
   return Parse("lossless");
}

Codec Codec::Bits(int n)
{
   return Parse("bits:" + std::to_string(n));
}

Codec Codec::Rel(double e)
{
   return Parse("rel:" + FormatNumber(e));
}

Codec Codec::Abs(double e)
{
   return Parse("abs:" + FormatNumber(e));
}

Codec Codec::Model(const std::string &model, const Codec &bound)
{
   return Parse("ae:" + bound.ToString() + ":" + model);
}

void SetCodec(TBranch *branch, const Codec &codec)
{
   if (!branch)
      throw std::invalid_argument("Baler::SetCodec: branch is null");
   auto spec = ParseSpec(codec.ToString());
   if (spec->IsLossy() && !HoldsFloats(*branch))
      Warning("Baler::SetCodec", "branch %s holds no float or double values: %s applies to float values only, "
                                 "the branch is stored losslessly",
              branch->GetName(), codec.ToString().c_str());
   Apply(*branch, spec);
}

int SetCodec(TTree *tree, const char *branchGlob, const Codec &codec)
{
   if (!tree || !branchGlob)
      throw std::invalid_argument("Baler::SetCodec: tree and branch glob are required");
   auto spec = ParseSpec(codec.ToString());
   int matched = 0;
   bool anyFloats = false;
   // Top-level and sub-branches (`ev.x`) can match; a match covers the branch's sub-branches.
   std::vector<TBranch *> pending;
   for (auto *branch : TRangeDynCast<TBranch>(tree->GetListOfBranches()))
      pending.push_back(branch);
   while (!pending.empty()) {
      TBranch *branch = pending.back();
      pending.pop_back();
      if (fnmatch(branchGlob, branch->GetName(), 0) != 0) {
         for (auto *sub : TRangeDynCast<TBranch>(branch->GetListOfBranches()))
            pending.push_back(sub);
         continue;
      }
      ++matched;
      anyFloats = anyFloats || HoldsFloats(*branch);
      Apply(*branch, spec);
   }
   if (matched == 0)
      Warning("Baler::SetCodec", "no branch of %s matches \"%s\": no codec was set", tree->GetName(), branchGlob);
   else if (spec->IsLossy() && !anyFloats)
      Warning("Baler::SetCodec", "no branch of %s matching \"%s\" holds float or double values: %s applies to float "
                                 "values only, they are stored losslessly",
              tree->GetName(), branchGlob, codec.ToString().c_str());
   return matched;
}

namespace Internal {

int LinkPlugin()
{
   return 1;
}

} // namespace Internal

} // namespace Baler
