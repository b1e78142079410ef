// baler_inspect_file (CommandApi.h): per-branch compression of every TTree in a file.
#include "CommandCommon.h"

#include "TBranch.h"
#include "TClass.h"
#include "TDirectory.h"
#include "TError.h"
#include "TFile.h"
#include "TKey.h"
#include "TTree.h"

#include <memory>
#include <set>
#include <string>

namespace Baler::Cli {
namespace {

void InspectDirectory(TDirectory &dir, TFile &file, const std::string &prefix, BalerRowCallback onRow, void *user)
{
   std::set<std::string> done;
   for (auto *listed : TRangeDynCast<TKey>(dir.GetListOfKeys())) {
      if (!listed || !done.insert(listed->GetName()).second)
         continue;
      TKey *key = dir.GetKey(listed->GetName());
      const std::string name = key->GetName();
      const std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (IsRNTupleClass(key->GetClassName())) {
         Warning("baler", "'%s' is an RNTuple (%s): baler describes TTrees only", path.c_str(), key->GetClassName());
         continue;
      }
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
            const std::string codec = DescribeStoredCodec(*branch, *tree, file);
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
