#include "CodecSelection.h"

#include "Baler/Baler.h"
#include "BasketLayout.h"
#include "ModelStore.h"

#include "TBranch.h"
#include "TDirectory.h"
#include "TError.h"
#include "TFile.h"
#include "TROOT.h"
#include "TVirtualMutex.h"
#include "TTree.h"

#include <array>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fnmatch.h>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unistd.h>

namespace Baler::Internal {

using baler::codec::Spec;

namespace {

/// What became of a policy rule: it chose the codec of a branch with float or double values, or it
/// matched only branches whose codec Baler::SetCodec had set (which takes precedence), only ones an
/// earlier rule took (the first rule that matches chooses), only branches with no float or double
/// value (which every spec stores exactly), only baskets copied as they were stored, only branches
/// of a tree with no file (whose baskets ROOT writes into the tree's key, uncoded), only float
/// branches under a `bits:N` that keeps every bit of a float, or none.
enum class RuleUse : unsigned char {
   kUnmatched,
   kNoFloat,
   kOverridden,
   kShadowed,
   kCopied,
   kInMemory,
   kFloatsExact,
   kApplied
};

/// What the process has chosen: SetCodec's per-branch codecs and the BALER_POLICY rules.
/// Never destroyed: ROOT deletes trees (and writes baskets) from its own exit handlers, after this
/// library's static destructors would have run.
struct Selection {
   std::shared_mutex mutex;
   /// Keyed by address, but an entry lives exactly as long as its branch (see BranchCleanup), so a
   /// new branch that reuses a freed address starts with no codec.
   std::map<const TObject *, SpecPtr> branchCodecs;
   std::vector<PolicyRule> policy;
   std::unique_ptr<std::atomic<RuleUse>[]> ruleUse; ///< one per policy rule
};

Selection &TheSelection()
{
   static auto *selection = new Selection;
   return *selection;
}

/// Forgets a branch's codec when ROOT deletes the branch. Registered branches carry kMustCleanup,
/// so TObject's destructor passes them to every object on gROOT's list of cleanups, this one too.
class BranchCleanup : public TObject {
public:
   void RecursiveRemove(TObject *deleted) override
   {
      Selection &selection = TheSelection();
      std::unique_lock<std::shared_mutex> lock(selection.mutex);
      selection.branchCodecs.erase(deleted);
   }
};

void InstallBranchCleanup()
{
   static const bool installed = [] {
      R__LOCKGUARD(gROOTMutex);
      gROOT->GetListOfCleanups()->Add(new BranchCleanup);
      return true;
   }();
   (void)installed;
}

constexpr int kLosslessLevel = kLossless % 100;

/// The codec a Baler compression setting stands for: level 99 lossless, 1..23 `bits:N`.
SpecPtr SpecForSetting(const TBranch &branch)
{
   static const std::array<SpecPtr, 100> specs = [] {
      std::array<SpecPtr, 100> table;
      table[kLosslessLevel] = std::make_shared<const Spec>(Spec::Parse("lossless"));
      for (int bits = 1; bits <= kMaxSettingsBits; ++bits)
         table[bits] = std::make_shared<const Spec>(Spec::Parse("bits:" + std::to_string(bits)));
      return table;
   }();
   const int level = branch.GetCompressionLevel();
   if (level >= 0 && level < static_cast<int>(specs.size()) && specs[level])
      return specs[level];
   Error("Baler", "branch %s: compression setting %d is not a Baler setting (%d01-%d%d for bits:N, %d for "
                  "lossless); stored with ZSTD instead",
         branch.GetName(), branch.GetCompressionSettings(), kAlgorithm, kAlgorithm, kMaxSettingsBits, kLossless);
   return nullptr;
}

/// The codec the branch's own compression setting asks for: Baler's, or none.
SpecPtr SpecForBranchSetting(const TBranch &branch)
{
   return branch.GetCompressionAlgorithm() == kAlgorithm ? SpecForSetting(branch) : nullptr;
}

bool Matches(const std::string &glob, const char *name)
{
   return fnmatch(glob.c_str(), name, 0) == 0;
}

/// Names the policy rules that chose no branch's codec (INTERFACE.md: a selection that matches
/// nothing is reported), and says why. Runs at exit, after ROOT has closed the files of root.exe,
/// PyROOT and programs that close their files; plain stderr, since ROOT may be half torn down.
void ReportUnusedRules()
{
   Selection &selection = TheSelection();
   std::shared_lock<std::shared_mutex> lock(selection.mutex);
   for (std::size_t i = 0; i < selection.policy.size(); ++i) {
      const char *rule = selection.policy[i].text.c_str();
      switch (selection.ruleUse[i].load(std::memory_order_relaxed)) {
      case RuleUse::kUnmatched:
         // a rule counts as used when a basket is written under it: an empty tree's branches write none
         std::fprintf(stderr,
                      "Warning in <Baler>: BALER_POLICY rule \"%s\" matched no branch that this process wrote a "
                      "basket of (none of its names, or only branches without entries, as an empty tree's)\n",
                      rule);
         break;
      case RuleUse::kNoFloat:
         std::fprintf(stderr,
                      "Warning in <Baler>: BALER_POLICY rule \"%s\" matched only branches with no float or double "
                      "value, which Baler stores exactly whatever the spec\n",
                      rule);
         break;
      case RuleUse::kOverridden:
         std::fprintf(stderr,
                      "Warning in <Baler>: BALER_POLICY rule \"%s\" chose no codec: every branch it matched had one "
                      "from Baler::SetCodec, which takes precedence\n",
                      rule);
         break;
      case RuleUse::kShadowed:
         std::fprintf(stderr,
                      "Warning in <Baler>: BALER_POLICY rule \"%s\" chose no codec: an earlier rule took every "
                      "branch it matched (the first rule that matches a branch chooses its codec)\n",
                      rule);
         break;
      case RuleUse::kCopied:
         std::fprintf(stderr,
                      "Warning in <Baler>: BALER_POLICY rule \"%s\" chose no codec: the branches it matched were "
                      "copied with their baskets as stored (a fast copy: hadd without -O, rootcp, "
                      "CloneTree(-1, \"fast\")), which no rule changes; hadd -O, or a copy without \"fast\", "
                      "codes them\n",
                      rule);
         break;
      case RuleUse::kInMemory:
         std::fprintf(stderr,
                      "Warning in <Baler>: BALER_POLICY rule \"%s\" chose no codec: it matched only branches of "
                      "a tree with no file (made in memory), whose baskets ROOT writes inside the tree's key "
                      "with the file's own compression; create the tree in its file to have them coded\n",
                      rule);
         break;
      case RuleUse::kFloatsExact:
         std::fprintf(stderr,
                      "Warning in <Baler>: BALER_POLICY rule \"%s\" stored its branches exactly: they hold floats, "
                      "and %s keeps every bit of a float (it has 23 mantissa bits; bits:N above 23 is for "
                      "doubles)\n",
                      rule, selection.policy[i].specText.c_str());
         break;
      case RuleUse::kApplied: break;
      }
   }
}

/// "dir/sub/Events" for a tree in folder dir/sub of its file, "Events" for one at the top.
std::string PathInFile(const TTree &tree)
{
   std::string path = tree.GetName();
   for (const TDirectory *dir = tree.GetDirectory(); dir && dir != dir->GetFile() && dir->GetMotherDir();
        dir = dir->GetMotherDir())
      path = std::string(dir->GetName()) + "/" + path;
   return path;
}

/// Records `use` for a rule that has none yet, or was only shadowed so far (the first rule for some
/// branch, it did not leave all it matched to earlier rules); kApplied replaces any other,
/// kFloatsExact any but kApplied (the rule chose the codec of a branch with float values, and what
/// it did matters more than what became of its other branches).
void RecordUse(std::atomic<RuleUse> &recorded, RuleUse use)
{
   RuleUse before = recorded.load(std::memory_order_relaxed);
   if (use == RuleUse::kApplied)
      recorded.store(use, std::memory_order_relaxed);
   else if (use == RuleUse::kFloatsExact)
      while (before != RuleUse::kApplied && !recorded.compare_exchange_weak(before, use, std::memory_order_relaxed)) {
      }
   else
      while ((before == RuleUse::kUnmatched || (before == RuleUse::kShadowed && use != RuleUse::kShadowed)) &&
             !recorded.compare_exchange_weak(before, use, std::memory_order_relaxed)) {
      }
}

/// The first policy rule that matches the branch, or none; records what became of it (`use`, never
/// undoing kApplied; a rule applied to a branch with no float value is kNoFloat until it applies to
/// one with, and one whose `bits:N` keeps every bit of the floats it applied to is kFloatsExact until
/// it applies to a branch it rounds), and of the later rules that match it too (shadowed by the first, or, where SetCodec
/// chose, overridden). Called under a shared lock, for every basket written.
const PolicyRule *MatchPolicy(Selection &selection, TBranch &branch, RuleUse use)
{
   const TTree *tree = branch.GetTree();
   if (selection.policy.empty() || !tree)
      return nullptr;
   static std::once_flag reportAtExit;
   std::call_once(reportAtExit, [] { std::atexit(ReportUnusedRules); });
   std::string treePath; // made only for a rule that needs it
   const PolicyRule *first = nullptr;
   for (std::size_t i = 0; i < selection.policy.size(); ++i) {
      const PolicyRule &rule = selection.policy[i];
      if (rule.TreeGlobIsPath() && treePath.empty())
         treePath = PathInFile(*tree);
      if (!rule.Selects(tree->GetName(), treePath, branch.GetName()))
         continue;
      std::atomic<RuleUse> &recorded = selection.ruleUse[i];
      if (first) {
         RecordUse(recorded, use == RuleUse::kOverridden ? use : RuleUse::kShadowed);
         continue;
      }
      if (use == RuleUse::kApplied && recorded.load(std::memory_order_relaxed) != RuleUse::kApplied) {
         if (!HasCodableFloatLeaf(branch))
            use = RuleUse::kNoFloat;
         // a bits:N above a float's 23 mantissa bits, over floats alone: every bit kept
         else if (BitsOfSpec(rule.specText) > kMaxSettingsBits && HasOnlySinglePrecisionFloats(branch))
            use = RuleUse::kFloatsExact;
      }
      RecordUse(recorded, use);
      first = &rule;
   }
   return first;
}

/// `text` without the blanks around it: spaces and tabs, and the line breaks of a policy written
/// one rule a line (a glob that kept them would match nothing)
std::string Trim(const std::string &text)
{
   static const char *const kBlanks = " \t\n\r\v\f";
   const auto first = text.find_first_not_of(kBlanks);
   const auto last = text.find_last_not_of(kBlanks);
   return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

} // namespace

int BitsOfSpec(const std::string &canonical)
{
   constexpr std::string_view kBits = "bits:";
   return canonical.compare(0, kBits.size(), kBits) == 0 ? std::atoi(canonical.c_str() + kBits.size()) : 0;
}

void RegisterBranchCodec(TBranch &branch, SpecPtr spec)
{
   InstallBranchCleanup();
   branch.SetBit(kMustCleanup);
   Selection &selection = TheSelection();
   std::unique_lock<std::shared_mutex> lock(selection.mutex);
   selection.branchCodecs[&branch] = std::move(spec);
}

std::vector<PolicyRule> ParsePolicy(const std::string &policy, const std::string &origin)
{
   static const char *kGrammar = "grammar: TREE/BRANCHGLOB=SPEC[,TREE/BRANCHGLOB=SPEC...]";
   std::vector<PolicyRule> rules;
   std::size_t start = 0;
   while (start <= policy.size()) {
      const std::size_t end = std::min(policy.find(',', start), policy.size());
      const std::string rule = Trim(policy.substr(start, end - start));
      start = end + 1;
      if (rule.empty())
         continue;
      const auto equals = rule.find('=');
      const auto slash = equals == std::string::npos ? rule.find('/') : rule.rfind('/', equals);
      // blanks around '/' and '=' are the user's layout, as around the commas: no tree or branch
      // name begins or ends with one, and a glob that kept it would match nothing
      const std::string treeGlob = slash == std::string::npos ? std::string() : Trim(rule.substr(0, slash));
      const std::string branchGlob =
         slash == std::string::npos || equals == std::string::npos || slash > equals
            ? std::string()
            : Trim(rule.substr(slash + 1, equals - slash - 1));
      if (treeGlob.empty() || branchGlob.empty())
         throw baler::codec::Error("invalid " + origin + " rule \"" + rule + "\": expected TREE/BRANCHGLOB=SPEC; " +
                                   kGrammar);
      try {
         auto spec = std::make_shared<const Spec>(Spec::Parse(rule.substr(equals + 1)));
         // an `ae:` rule's model must exist when the policy is read, like the rest of the rule
         if (const std::string model = spec->ModelReference(); !model.empty())
            try {
               ModelForSpec(*spec);
            } catch (const baler::codec::Error &e) {
               // a relative path, not an id (hex digits) nor an absolute path
               const bool relativePath = model.front() != '/' && (model.find('/') != std::string::npos ||
                                                                  model.find(".balm") != std::string::npos);
               char folder[PATH_MAX];
               if (!relativePath || !getcwd(folder, sizeof folder))
                  throw;
               throw baler::codec::Error(std::string(e.what()) + " (a relative path is read from the folder of the " +
                                         "process, here " + folder + ": name the model by its absolute path)");
            }
         std::string specText = spec->ToString();
         rules.push_back({rule, treeGlob, branchGlob, std::move(spec), std::move(specText)});
      } catch (const baler::codec::Error &e) {
         throw baler::codec::Error("invalid " + origin + " rule \"" + rule + "\": " + e.what());
      }
   }
   // only blanks and commas: a policy that would choose nothing, with nothing to say so
   if (rules.empty())
      throw baler::codec::Error("invalid " + origin + " \"" + policy + "\": it holds no rule; " + kGrammar);
   return rules;
}

std::string PolicyWithAbsoluteModelPaths(const std::vector<PolicyRule> &rules, const std::string &folder)
{
   std::string policy;
   bool changed = false;
   for (const PolicyRule &rule : rules) {
      const std::string model = rule.spec->ModelReference();
      std::string text = rule.text;
      // a model named by a path (not an id) that is relative, at the end of its rule's text
      const bool relative = !model.empty() && model.front() != '/' && IsRegularFile(model) &&
                            text.size() >= model.size() && text.compare(text.size() - model.size(), model.size(), model) == 0;
      if (relative) {
         text.replace(text.size() - model.size(), model.size(), folder + "/" + model);
         changed = true;
      }
      policy += (policy.empty() ? "" : ",") + text;
   }
   return changed ? policy : std::string();
}

bool PolicyRule::Selects(const std::string &treeName, const std::string &treePath, const char *branchName) const
{
   return Matches(treeGlob, (TreeGlobIsPath() ? treePath : treeName).c_str()) && Matches(branchGlob, branchName);
}

void SetPolicy(std::vector<PolicyRule> rules)
{
   Selection &selection = TheSelection();
   std::unique_lock<std::shared_mutex> lock(selection.mutex);
   selection.ruleUse = std::make_unique<std::atomic<RuleUse>[]>(rules.size());
   selection.policy = std::move(rules);
}

SpecPtr NoteCopiedAsStored(TBranch &branch)
{
   Selection &selection = TheSelection();
   std::shared_lock<std::shared_mutex> lock(selection.mutex);
   MatchPolicy(selection, branch, RuleUse::kCopied);
   const auto registered = selection.branchCodecs.find(&branch);
   return registered == selection.branchCodecs.end() ? nullptr : registered->second;
}

SpecPtr ResolveCodec(TBranch &branch)
{
   Selection &selection = TheSelection();
   {
      std::shared_lock<std::shared_mutex> lock(selection.mutex);
      // a tree with no file: ROOT keeps its baskets and writes them inside the tree's key, not
      // through the write hook, and a rule would be counted as applied to values stored exactly
      if (!branch.GetFile()) {
         MatchPolicy(selection, branch, RuleUse::kInMemory);
         return nullptr;
      }
      auto registered = selection.branchCodecs.find(&branch);
      if (registered != selection.branchCodecs.end()) {
         MatchPolicy(selection, branch, RuleUse::kOverridden);
         return registered->second;
      }
      if (const PolicyRule *rule = MatchPolicy(selection, branch, RuleUse::kApplied))
         return rule->spec;
   }
   return SpecForBranchSetting(branch);
}

} // namespace Baler::Internal
