// Which codec a branch is written with: SetCodec > BALER_POLICY > compression setting.
#ifndef BALER_CODECSELECTION_H
#define BALER_CODECSELECTION_H

#include "baler/codec.hpp"

#include <memory>
#include <string>
#include <vector>

class TBranch;

namespace Baler::Internal {

using SpecPtr = std::shared_ptr<const baler::codec::Spec>;

/// N of a `bits:N` spec in its canonical text (Spec::ToString), else 0.
int BitsOfSpec(const std::string &canonical);

/// Remembers the codec chosen for a branch by Baler::SetCodec.
void RegisterBranchCodec(TBranch &branch, SpecPtr spec);

/// One `TREE/BRANCHGLOB=SPEC` rule of a BALER_POLICY. TREE is a glob of the tree's name (any
/// folder), or, where it holds a '/', of its path in the file (`dir/Events`), so that one of two
/// trees of a name can be chosen.
struct PolicyRule {
   std::string text; ///< the rule as written, for messages
   std::string treeGlob;
   std::string branchGlob;
   SpecPtr spec;
   std::string specText; ///< spec->ToString(), for code outside libBalerROOT (which hides the codec)

   bool TreeGlobIsPath() const { return treeGlob.find('/') != std::string::npos; }
   /// Whether the rule selects branch `branchName` of the tree named `treeName` at `treePath` in its
   /// file (the name alone for a tree at the top).
   bool Selects(const std::string &treeName, const std::string &treePath, const char *branchName) const;
};

/// Parses `TREE/BRANCHGLOB=SPEC,...` (the last '/' before '=' ends TREE); throws
/// baler::codec::Error naming the bad rule and where the policy came from (`origin`: BALER_POLICY,
/// --policy).
std::vector<PolicyRule> ParsePolicy(const std::string &policy, const std::string &origin);

/// The policy of `rules` with each `ae:` model named by a relative path made absolute, as a file
/// of `folder`; empty when no model is so named.
std::string PolicyWithAbsoluteModelPaths(const std::vector<PolicyRule> &rules, const std::string &folder);

/// Installs the process's policy (from BALER_POLICY, read once when the plugin loads). A process that
/// writes baskets reports, when it exits, every rule that matched no branch it wrote.
void SetPolicy(std::vector<PolicyRule> rules);

/// Prefix of the notes in a tree's UserInfo, one TNamed per branch titled with the spec its values
/// took where no Baler block says so: a branch that `baler compress` stored with a codec its
/// compression setting does not name, or whose baskets the write hook rounded and ROOT stored as
/// they are (too few values for a block to pay) under SetCodec or a policy, whose setting (4299)
/// reads as lossless. `baler inspect` and `baler eval` read the spec from it.
constexpr const char *kCodecNotePrefix = "baler.codec:";

/// Records, for the report at exit, that baskets of `branch` reached its file copied as they were
/// stored (a fast copy), where no policy rule could choose their codec. Returns the codec
/// Baler::SetCodec chose for the branch, which the copy did not apply either (nullptr: none).
SpecPtr NoteCopiedAsStored(TBranch &branch);

/// The codec for the next basket of `branch`, or nullptr when the branch is not Baler's (a tree
/// with no file included, whose baskets ROOT keeps to write into the tree's key).
/// Called for every basket written: cheap when nothing is registered and no policy is set.
SpecPtr ResolveCodec(TBranch &branch);

} // namespace Baler::Internal

#endif
