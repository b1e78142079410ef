// baler_inspect_file (CommandApi.h): per-branch compression of every TTree in a file.
#include "CommandCommon.h"
#include "ModelStore.h"

#include "TBranch.h"
#include "TClass.h"
#include "TDirectory.h"
#include "TError.h"
#include "TFile.h"
#include "TKey.h"
#include "TTree.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace Baler::Cli {
namespace {

/// The branches ("tree/branch") whose blocks were coded with each model, by model id.
using ModelUsers = std::map<std::string, std::vector<std::string>>;

void InspectDirectory(TDirectory &dir, TFile &file, const std::string &prefix, BalerRowCallback onRow, void *user,
                      ModelUsers &modelUsers)
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
            InspectDirectory(*sub, file, path, onRow, user, modelUsers);
      } else if (cls->InheritsFrom(TTree::Class())) {
         std::unique_ptr<TTree> tree(dynamic_cast<TTree *>(key->ReadObj()));
         if (!tree)
            throw Failure("cannot read tree '" + path + "'");
         for (TBranch *branch : AllBranches(*tree)) {
            if (!HoldsData(*branch))
               continue;
            const std::string type = TypeName(*branch);
            std::set<std::string> modelIds;
            const std::string codec = DescribeStoredCodec(*branch, *tree, file, &modelIds);
            for (const auto &id : modelIds)
               modelUsers[id].push_back(path + "/" + branch->GetName());
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

/// A model that blocks were coded with and that no reader finds (neither in the file nor in
/// BALER_MODEL_PATH, or damaged) is named with its branches: their baskets cannot be read, which
/// the table alone would not show until an analysis failed on them.
void WarnOfModelsNoReaderFinds(TFile &file, const ModelUsers &modelUsers)
{
   if (modelUsers.empty())
      return;
   Internal::LoadModelsOf(file);
   for (const auto &[id, branches] : modelUsers) {
      try {
         Internal::FindModel(id);
      } catch (const std::exception &e) {
         Warning("baler", "%s: %s: the baskets of %s coded with it cannot be read", file.GetName(), e.what(),
                 Internal::BranchList(branches).c_str());
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
      std::unique_ptr<TFile> file(OpenInput(path));
      ModelUsers modelUsers;
      InspectDirectory(*file, *file, "", onRow, user, modelUsers);
      WarnOfModelsNoReaderFinds(*file, modelUsers);
   });
}
