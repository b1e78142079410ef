// baler_compress_file (CommandApi.h): rewrites every TTree of a file with Baler, copies the rest.
#include "CommandCommon.h"

#include "Baler/Baler.h"
#include "BasketLayout.h"
#include "CodecSelection.h"

#include "TBranch.h"
#include "TClass.h"
#include "TDirectory.h"
#include "TFile.h"
#include "TKey.h"
#include "TList.h"
#include "TNamed.h"
#include "TTree.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace Baler::Cli {
namespace {

/// How the selected float/double branches are stored: `bits:N` that a compression setting can
/// express (N <= 23) and `lossless` go into the setting, so that the file itself tells (inspect);
/// every other codec (rel:, abs:, bits:N up to 52 for doubles, ae:) goes through Baler::SetCodec.
struct CodecChoice {
   std::unique_ptr<Baler::Codec> codec;
   std::string spec; ///< canonical
   int settings = kLossless;
   int bits = 0; ///< N of bits:N, else 0
   bool viaSetCodec = false;
};

CodecChoice ChooseCodec(const Baler::Codec &codec)
{
   CodecChoice choice;
   choice.codec = std::make_unique<Baler::Codec>(codec);
   choice.spec = codec.ToString();
   if (choice.spec == "lossless")
      return choice;
   if (choice.spec.rfind("bits:", 0) == 0) {
      const int bits = choice.bits = std::atoi(choice.spec.c_str() + 5);
      if (bits >= 1 && bits <= kMaxSettingsBits) {
         choice.settings = Settings(bits);
         return choice;
      }
   }
   choice.viaSetCodec = true;
   return choice;
}

/// A shell glob of --branches, and whether it selected a float or double branch.
struct BranchGlob {
   std::string glob;
   bool used = false;
};

/// A --policy rule, and whether it was the first match of a float or double branch.
struct PolicyChoice {
   Internal::PolicyRule rule;
   CodecChoice choice;
   bool used = false;

   std::string Text() const { return rule.treeGlob + "/" + rule.branchGlob + "=" + choice.spec; }
};

/// Recorded in the output tree's UserInfo, one TNamed per branch stored with a codec that its
/// compression setting does not name (SetCodec): `baler inspect` reads them back.
constexpr const char *kCodecNotePrefix = "baler.codec:";

struct Rewriter {
   std::vector<PolicyChoice> policy;  ///< first match wins, before `codec`
   std::optional<CodecChoice> codec;  ///< for the float branches that `globs` select
   std::vector<BranchGlob> globs;     ///< none: every float branch
   std::vector<std::string> trees;
   std::set<std::string> rewritten; ///< the --tree names that matched a tree
   BalerRowCallback onRow = nullptr;
   BalerProgressCallback onProgress = nullptr;
   void *user = nullptr;

   bool Selected(const std::string &name, const std::string &path)
   {
      if (trees.empty())
         return true;
      bool selected = false;
      for (const auto &t : trees)
         if (t == name || t == path) {
            rewritten.insert(t);
            selected = true;
         }
      return selected;
   }

   /// The codec for a branch of tree `treeName`: its first matching policy rule, else `codec` when
   /// a glob selects it; nullptr for lossless. Only float and double values are ever coded lossily,
   /// so only branches holding them take part (and count as a use of a rule or a glob).
   const CodecChoice *Choose(const std::string &treeName, TBranch &branch)
   {
      if (!Internal::HasCodableFloatLeaf(branch))
         return nullptr;
      const CodecChoice *chosen = nullptr;
      for (auto &p : policy)
         if (GlobMatch(p.rule.treeGlob, treeName) && GlobMatch(p.rule.branchGlob, branch.GetName())) {
            p.used = true;
            chosen = &p.choice;
            break;
         }
      if (!chosen && codec) {
         bool selected = globs.empty();
         for (auto &g : globs)
            if (GlobMatch(g.glob, branch.GetName()))
               selected = g.used = true;
         if (selected)
            chosen = &*codec;
      }
      // bits:N with N > 23 is for doubles: a float has 23 mantissa bits, so it stays exact.
      if (chosen && chosen->bits > kMaxSettingsBits && IsSinglePrecision(branch))
         return nullptr;
      return chosen;
   }

   void CopyDirectory(TDirectory &in, TDirectory &out, const std::string &prefix)
   {
      std::set<std::string> done;
      for (auto *listed : TRangeDynCast<TKey>(in.GetListOfKeys())) {
         if (!listed || !done.insert(listed->GetName()).second)
            continue;
         TKey *key = in.GetKey(listed->GetName()); // the highest cycle
         const std::string name = key->GetName();
         const std::string path = prefix.empty() ? name : prefix + "/" + name;
         TClass *cls = TClass::GetClass(key->GetClassName());
         if (!cls)
            throw Failure("object '" + path + "' has class " + key->GetClassName() + ", unknown to ROOT");
         // An RNTuple's anchor refers to its pages by file offset: copying the anchor alone would
         // write a file that has the name and none of the data. Refuse rather than lose it.
         if (std::string(key->GetClassName()).find("RNTuple") != std::string::npos)
            throw Failure("object '" + path + "' is an RNTuple (" + key->GetClassName() +
                          "): baler compress rewrites TTrees and cannot copy an RNTuple's pages");
         if (cls->InheritsFrom(TDirectory::Class())) {
            auto *sub = in.GetDirectory(name.c_str());
            TDirectory *target = out.mkdir(name.c_str(), key->GetTitle());
            if (!sub || !target)
               throw Failure("cannot copy directory '" + path + "'");
            CopyDirectory(*sub, *target, path);
         } else if (cls->InheritsFrom(TTree::Class())) {
            auto *tree = dynamic_cast<TTree *>(key->ReadObj());
            if (!tree)
               throw Failure("cannot read tree '" + path + "'");
            if (Selected(name, path))
               RewriteTree(*tree, out, path);
            else
               CopyTree(*tree, out, path);
            delete tree;
         } else if (cls->InheritsFrom(TObject::Class())) {
            std::unique_ptr<TObject> object(key->ReadObj());
            if (!object)
               throw Failure("cannot read object '" + path + "'");
            if (out.WriteTObject(object.get(), name.c_str(), "") <= 0)
               throw Failure("cannot write object '" + path + "'");
         } else {
            void *object = key->ReadObjectAny(cls);
            if (!object)
               throw Failure("cannot read object '" + path + "' of class " + key->GetClassName());
            const int written = out.WriteObjectAny(object, cls, name.c_str(), "");
            cls->Destructor(object);
            if (written <= 0)
               throw Failure("cannot write object '" + path + "' of class " + key->GetClassName());
         }
      }
   }

   /// A tree left out by --tree: copied basket by basket, with its own compression.
   void CopyTree(TTree &tree, TDirectory &out, const std::string &path)
   {
      out.cd();
      TTree *copy = tree.CloneTree(-1, "fast");
      if (!copy)
         throw Failure("cannot copy tree '" + path + "'");
      copy->Write();
      delete copy;
   }

   void RewriteTree(TTree &tree, TDirectory &out, const std::string &path)
   {
      out.cd();
      TTree *copy = tree.CloneTree(0);
      if (!copy)
         throw Failure("cannot clone tree '" + path + "'");
      copy->SetDirectory(&out);
      const auto inBranches = AllBranches(tree);
      const auto outBranches = AllBranches(*copy);
      if (inBranches.size() != outBranches.size())
         throw Failure("tree '" + path + "': the copy has a different branch structure");
      std::vector<std::string> codecs(outBranches.size());
      for (std::size_t i = 0; i < outBranches.size(); ++i) {
         TBranch &branch = *outBranches[i];
         const CodecChoice *chosen = Choose(tree.GetName(), branch);
         branch.SetCompressionSettings(chosen ? chosen->settings : kLossless);
         if (chosen && chosen->viaSetCodec) {
            Baler::SetCodec(&branch, *chosen->codec);
            copy->GetUserInfo()->Add(new TNamed((std::string(kCodecNotePrefix) + branch.GetName()).c_str(),
                                                chosen->spec.c_str()));
         }
         codecs[i] = chosen ? chosen->spec : "lossless";
      }

      const Long64_t entries = tree.GetEntries();
      const Long64_t step = entries > 200 ? entries / 200 : 1;
      if (onProgress)
         onProgress(path.c_str(), 0, entries, user);
      for (Long64_t entry = 0; entry < entries; ++entry) {
         if (tree.GetEntry(entry) < 0)
            throw Failure("tree '" + path + "': entry " + std::to_string(entry) + " could not be read");
         if (copy->Fill() < 0)
            throw Failure("tree '" + path + "': entry " + std::to_string(entry) + " could not be written");
         if (onProgress && (entry + 1) % step == 0)
            onProgress(path.c_str(), entry + 1, entries, user);
      }
      if (onProgress)
         onProgress(path.c_str(), entries, entries, user);
      if (copy->Write() <= 0)
         throw Failure("tree '" + path + "' could not be written");
      if (!RootMessages::FirstError().empty())
         throw Failure("tree '" + path + "': " + RootMessages::FirstError());

      for (std::size_t i = 0; i < outBranches.size(); ++i) {
         TBranch &before = *inBranches[i];
         TBranch &after = *outBranches[i];
         if (!HoldsData(before) && !HoldsData(after))
            continue;
         const std::string type = TypeName(after);
         const std::string codec = "baler " + codecs[i];
         const std::string codecBefore = DescribeSettings(before.GetCompressionSettings());
         BalerBranchRow row{path.c_str(),
                            after.GetName(),
                            type.c_str(),
                            after.GetEntries(),
                            before.GetZipBytes(),
                            after.GetZipBytes(),
                            after.GetTotBytes(),
                            after.GetCompressionSettings(),
                            codec.c_str(),
                            codecBefore.c_str()};
         if (onRow)
            onRow(&row, user);
      }
      delete copy; // also resets the input tree's branch addresses
   }
};

} // namespace
} // namespace Baler::Cli

extern "C" int baler_compress_file(const char *inPath, const char *outPath, const BalerCompressOptions *options,
                                   BalerRowCallback onRow, BalerProgressCallback onProgress,
                                   BalerWarningCallback onWarning, void *user, char *error, size_t errorSize)
{
   using namespace Baler::Cli;
   return Guarded(error, errorSize, [&] {
      if (!inPath || !outPath || !options)
         throw Failure("missing input path, output path or options");
      Rewriter rewriter;
      if (options->codecSpec) {
         try {
            rewriter.codec = ChooseCodec(Baler::Codec::Parse(options->codecSpec));
         } catch (const std::exception &e) {
            throw Failure(std::string("bad --codec: ") + e.what());
         }
      }
      if (options->policy && *options->policy) {
         std::vector<Baler::Internal::PolicyRule> rules;
         try {
            rules = Baler::Internal::ParsePolicy(options->policy);
         } catch (const std::exception &e) {
            throw Failure(std::string("bad --policy: ") + e.what());
         }
         for (auto &rule : rules) {
            CodecChoice choice = ChooseCodec(Baler::Codec::Parse(rule.specText));
            rewriter.policy.push_back({std::move(rule), std::move(choice)});
         }
      }
      for (int i = 0; i < options->nGlobs; ++i)
         rewriter.globs.push_back({options->globs[i]});
      for (int i = 0; i < options->nTrees; ++i)
         rewriter.trees.emplace_back(options->trees[i]);
      rewriter.onRow = onRow;
      rewriter.onProgress = onProgress;
      rewriter.user = user;

      OutputFile output(outPath, {inPath});
      std::unique_ptr<TFile> in(TFile::Open(inPath, "READ"));
      if (!in || in->IsZombie())
         throw Failure(std::string("cannot open '") + inPath + "' as a ROOT file");
      // Declared after `output`: on failure the file is closed before its temporary is removed.
      std::unique_ptr<TFile> out(TFile::Open(output.TemporaryPath().c_str(), "RECREATE"));
      if (!out || out->IsZombie())
         throw Failure("cannot create a temporary file for '" + std::string(outPath) + "'");
      // Keys that are not trees (histograms, the trees' own headers) keep the input's compression.
      out->SetCompressionSettings(in->GetCompressionSettings());
      RootMessages::Clear(); // ROOT's errors from here on fail the command
      rewriter.CopyDirectory(*in, *out, "");
      for (const auto &t : rewriter.trees)
         if (!rewriter.rewritten.count(t))
            throw Failure("no tree '" + t + "' in '" + std::string(inPath) + "'");
      out->Write(nullptr, TObject::kOverwrite);
      out->Close();
      if (!RootMessages::FirstError().empty())
         throw Failure(RootMessages::FirstError());
      output.Commit();
      auto warn = [&](const std::string &message) {
         if (onWarning)
            onWarning(message.c_str(), user);
      };
      for (const auto &p : rewriter.policy)
         if (!p.used)
            warn("--policy rule '" + p.Text() + "' selects no float or double branch (no match, or an earlier "
                 "rule takes them)");
      for (const auto &g : rewriter.globs)
         if (!g.used)
            warn("--branches '" + g.glob + "' selects no float or double branch" +
                 (rewriter.policy.empty() ? "" : " that no --policy rule takes"));
   });
}
