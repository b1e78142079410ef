// baler_inspect_file (CommandApi.h): per-branch compression of every TTree in a file.
#include "CommandCommon.h"
#include "BasketCodec.h"

#include "Baler/Baler.h"

#include "TBranch.h"
#include "TList.h"
#include "TClass.h"
#include "TDirectory.h"
#include "TFile.h"
#include "TKey.h"
#include "TTree.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace Baler::Cli {
namespace {

/// At most this many baskets of a branch are read to say how it is stored (spread over the branch).
constexpr Int_t kBasketsDescribed = 64;

/// The codec the branch's Baler blocks say they hold ("bits:10", "ae:bits:7:<model id>", several
/// joined by " | " when baskets differ), or "" when none of the baskets read is a Baler block with
/// floats. Reads the stored baskets' bytes; nothing is decoded.
std::string StoredCodec(TBranch &branch, TFile &file)
{
   const Int_t baskets = branch.GetWriteBasket();
   const Int_t *sizes = branch.GetBasketBytes();
   std::set<std::string> found;
   std::vector<char> key;
   for (Int_t n = 0; sizes && n < std::min(baskets, kBasketsDescribed); ++n) {
      const Int_t i = baskets <= kBasketsDescribed ? n : static_cast<Int_t>(Long64_t(n) * baskets / kBasketsDescribed);
      const Long64_t seek = branch.GetBasketSeek(i);
      constexpr Int_t kKeyLengthAt = 14; // TKey header: Nbytes (4), Version (2), ObjLen (4), Datime (4), KeyLen
      if (seek <= 0 || sizes[i] <= kKeyLengthAt + 2)
         continue;
      key.resize(sizes[i]);
      if (file.ReadBuffer(key.data(), seek, sizes[i]))
         continue;
      const auto *bytes = reinterpret_cast<const unsigned char *>(key.data());
      const Int_t keyLength = bytes[kKeyLengthAt] << 8 | bytes[kKeyLengthAt + 1];
      if (keyLength + 2 > sizes[i] || bytes[keyLength] != 'B' || bytes[keyLength + 1] != 'A')
         continue;
      std::string held;
      try {
         held = Internal::DescribeBalerBlock(bytes + keyLength, sizes[i] - keyLength);
      } catch (const std::exception &e) {
         held = std::string("damaged block (") + e.what() + ")";
      }
      if (held == "none")
         continue;
      // One float kind is the usual case: "f32 bits:10" reads as "bits:10".
      if (held.find(", ") == std::string::npos && (held.rfind("f32 ", 0) == 0 || held.rfind("f64 ", 0) == 0))
         held = held.substr(4);
      found.insert(held);
   }
   std::string joined;
   for (const auto &held : found)
      joined += (joined.empty() ? "" : " | ") + held;
   return joined;
}

void InspectDirectory(TDirectory &dir, TFile &file, const std::string &prefix, BalerRowCallback onRow, void *user)
{
   std::set<std::string> done;
   for (auto *listed : TRangeDynCast<TKey>(dir.GetListOfKeys())) {
      if (!listed || !done.insert(listed->GetName()).second)
         continue;
      TKey *key = dir.GetKey(listed->GetName());
      const std::string name = key->GetName();
      const std::string path = prefix.empty() ? name : prefix + "/" + name;
      TClass *cls = TClass::GetClass(key->GetClassName());
      if (!cls)
         continue;
      if (cls->InheritsFrom(TDirectory::Class())) {
         if (auto *sub = dir.GetDirectory(name.c_str()))
            InspectDirectory(*sub, file, path, onRow, user);
      } else if (cls->InheritsFrom(TTree::Class())) {
         std::unique_ptr<TTree> tree(dynamic_cast<TTree *>(key->ReadObj()));
         if (!tree)
            throw Failure("cannot read tree '" + path + "'");
         for (TBranch *branch : AllBranches(*tree)) {
            if (!HoldsData(*branch))
               continue;
            const std::string type = TypeName(*branch);
            std::string codec = DescribeSettings(branch->GetCompressionSettings());
            // A codec chosen with SetCodec by `baler compress` is noted in the tree's UserInfo.
            if (branch->GetCompressionAlgorithm() == Baler::kAlgorithm && tree->GetUserInfo())
               if (auto *note = tree->GetUserInfo()->FindObject((std::string("baler.codec:") + branch->GetName()).c_str()))
                  codec = std::string("baler ") + note->GetTitle();
            // What the blocks say they hold wins: it is right whoever wrote the file.
            if (branch->GetCompressionAlgorithm() == Baler::kAlgorithm) {
               const std::string stored = StoredCodec(*branch, file);
               if (!stored.empty())
                  codec = "baler " + stored;
            }
            BalerBranchRow row{path.c_str(),
                               branch->GetName(),
                               type.c_str(),
                               branch->GetEntries(),
                               0,
                               branch->GetZipBytes(),
                               branch->GetTotBytes(),
                               branch->GetCompressionSettings(),
                               codec.c_str(),
                               codec.c_str()};
            if (onRow)
               onRow(&row, user);
         }
      }
   }
}

} // namespace
} // namespace Baler::Cli

extern "C" int baler_inspect_file(const char *path, BalerRowCallback onRow, void *user, char *error, size_t errorSize)
{
   using namespace Baler::Cli;
   return Guarded(error, errorSize, [&] {
      if (!path)
         throw Failure("missing file path");
      std::unique_ptr<TFile> file(OpenForReading(path));
      if (!file || file->IsZombie())
         throw Failure(std::string("cannot open '") + path + "' as a ROOT file");
      InspectDirectory(*file, *file, "", onRow, user);
   });
}
