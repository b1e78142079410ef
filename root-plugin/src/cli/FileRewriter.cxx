// baler_compress_file (CommandApi.h): rewrites every TTree of a file with Baler, copies the rest.
#include "CommandCommon.h"

#include "Baler/Baler.h"
#include "BasketLayout.h"

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

CodecChoice ChooseCodec(const std::string &text)
{
   CodecChoice choice;
   try {
      choice.codec = std::make_unique<Baler::Codec>(Baler::Codec::Parse(text));
   } catch (const std::exception &e) {
      throw Failure(std::string("bad --codec: ") + e.what());
   }
   choice.spec = choice.codec->ToString();
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

/// Recorded in the output tree's UserInfo, one TNamed per branch stored with a codec that its
/// compression setting does not name (SetCodec): `baler inspect` reads them back.
constexpr const char *kCodecNotePrefix = "baler.codec:";

struct Rewriter {
   CodecChoice choice;
   std::vector<std::string> globs;
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

   bool Matches(const std::string &branch) const
   {
      if (globs.empty())
         return true;
      for (const auto &g : globs)
         if (GlobMatch(g, branch))
            return true;
      return false;
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
         bool lossy = Internal::HasCodableFloatLeaf(branch) && Matches(branch.GetName());
         // bits:N with N > 23 is for doubles: a float has 23 mantissa bits, so it stays exact.
         if (lossy && choice.bits > kMaxSettingsBits && IsSinglePrecision(branch))
            lossy = false;
         branch.SetCompressionSettings(lossy ? choice.settings : kLossless);
         if (lossy && choice.viaSetCodec) {
            Baler::SetCodec(&branch, *choice.codec);
            copy->GetUserInfo()->Add(new TNamed((std::string(kCodecNotePrefix) + branch.GetName()).c_str(),
                                                choice.spec.c_str()));
         }
         codecs[i] = lossy ? choice.spec : "lossless";
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

extern "C" int baler_compress_file(const char *inPath, const char *outPath, const char *codecSpec,
                                   const char *const *globs, int nGlobs, const char *const *trees, int nTrees,
                                   BalerRowCallback onRow, BalerProgressCallback onProgress, void *user, char *error,
                                   size_t errorSize)
{
   using namespace Baler::Cli;
   return Guarded(error, errorSize, [&] {
      Rewriter rewriter;
      rewriter.choice = ChooseCodec(codecSpec && *codecSpec ? codecSpec : "bits:10");
      for (int i = 0; i < nGlobs; ++i)
         rewriter.globs.emplace_back(globs[i]);
      for (int i = 0; i < nTrees; ++i)
         rewriter.trees.emplace_back(trees[i]);
      rewriter.onRow = onRow;
      rewriter.onProgress = onProgress;
      rewriter.user = user;
      if (!inPath || !outPath)
         throw Failure("missing input or output path");

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
   });
}
