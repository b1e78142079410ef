#include "ModelStore.h"

#include "BasketKeyCheck.h"

#include "TBase64.h"
#include "TBufferFile.h"
#include "TError.h"
#include "TFile.h"
#include "TKey.h"
#include "TObjString.h"
#include "TROOT.h"
#include "TSeqCollection.h"
#include "TStreamerInfo.h"
#include "TTree.h"
#include "TVirtualMutex.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <sys/stat.h>
#include <vector>

namespace Baler::Internal {

using baler::codec::Error;
using baler::codec::Model;

namespace {

constexpr const char *kKeyPrefix = "baler_model_";
/// Far above any model this project trains (a few kB to a few MB); a bigger file is not a model.
constexpr std::size_t kMaxModelFileBytes = 64u << 20;

/// How an `ae:` spec's model served the baskets of one file given to it.
struct Service {
   std::string modelId;
   bool objectModel = false; ///< a collection's model (members coded with their context), else an autoencoder
   bool servedAMember = false; ///< an object model: one of the branches is one of its members
   std::vector<std::string> branches;
   bool coded = false;    ///< the model coded at least one of them
   bool reported = false; ///< TakeIdleModelWarnings, or the report at exit, has named it
};

/// Never destroyed: ROOT closes files (and so writes models) from its exit handlers.
struct Store {
   std::shared_mutex mutex;
   std::map<std::string, ModelPtr> byId;
   std::map<std::string, ModelPtr> byReference; ///< the spec's MODEL text (a path) -> model
   std::set<std::string> keysRead;              ///< KeysReadAs of the files whose model keys were read
   std::set<std::string> filesWithObjectModels; ///< UUIDs of the files that hold an object model
   std::map<std::string, std::vector<ModelPtr>> pendingByFile; ///< UUID -> models to write into it
   std::map<std::string, std::map<std::string, Service>> servicesByFile; ///< UUID -> `ae:` spec -> its service
   std::map<std::string, std::string> fileNames;                          ///< UUID -> name, for ReportIdleModels
   std::map<std::string, std::string> damagedInFile; ///< id -> the file holding a corrupt copy, and why
};

Store &TheStore()
{
   static auto *store = new Store;
   return *store;
}

ModelPtr Remember(ModelPtr model)
{
   Store &store = TheStore();
   std::unique_lock<std::shared_mutex> lock(store.mutex);
   return store.byId.emplace(model->Id(), model).first->second;
}

/// Reads and parses a .balm file; throws Error naming the path.
ModelPtr ReadModelFile(const std::string &path)
{
   std::ifstream in(path, std::ios::binary);
   if (!in)
      throw Error("cannot open model file " + path);
   std::vector<std::uint8_t> bytes;
   char chunk[1 << 16];
   while (in.read(chunk, sizeof(chunk)) || in.gcount() > 0) {
      bytes.insert(bytes.end(), chunk, chunk + in.gcount());
      if (bytes.size() > kMaxModelFileBytes)
         throw Error("model file " + path + " is larger than " + std::to_string(kMaxModelFileBytes) + " bytes");
   }
   try {
      return Remember(Model::Parse(bytes.data(), bytes.size()));
   } catch (const Error &e) {
      throw Error("model file " + path + ": " + e.what());
   }
}

/// Model ids are hex digests: anything else is refused before it is used in a path.
bool IsWellFormedId(const std::string &id)
{
   return !id.empty() && id.size() <= 128 &&
          std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

ModelPtr Cached(const std::string &id)
{
   Store &store = TheStore();
   std::shared_lock<std::shared_mutex> lock(store.mutex);
   auto found = store.byId.find(id);
   return found == store.byId.end() ? nullptr : found->second;
}

std::vector<std::string> ModelPathFolders()
{
   std::vector<std::string> folders;
   const char *path = std::getenv("BALER_MODEL_PATH");
   std::string rest = path ? path : "";
   while (!rest.empty()) {
      const auto colon = rest.find(':');
      std::string folder = rest.substr(0, colon);
      if (!folder.empty())
         folders.push_back(folder);
      rest = colon == std::string::npos ? std::string() : rest.substr(colon + 1);
   }
   return folders;
}

/// Looks for the model in one BALER_MODEL_PATH folder: `<id>.balm` first, then every `*.balm`
/// regular file (users name their files as they like; opening a FIFO so named would wait forever
/// for a writer). Files that are not readable models are noted in `skipped` (no ROOT messages:
/// this can run while the plugin loads, before ROOT is set up).
ModelPtr FindInFolder(const std::string &folder, const std::string &id, std::vector<std::string> &skipped)
{
   auto tryFile = [&](const std::string &path) -> ModelPtr {
      try {
         ModelPtr model = ReadModelFile(path);
         return model->Id() == id ? model : nullptr;
      } catch (const Error &e) {
         skipped.push_back(e.what());
         return nullptr;
      }
   };
   if (IsRegularFile(folder + "/" + id + ".balm"))
      if (ModelPtr model = tryFile(folder + "/" + id + ".balm"))
         return model;
   DIR *dir = opendir(folder.c_str());
   if (!dir) {
      if (IsRegularFile(folder)) // BALER_MODEL_PATH=model.balm: a natural slip
         skipped.push_back(folder + ", a file: BALER_MODEL_PATH lists folders that hold .balm files");
      return nullptr;
   }
   ModelPtr found;
   while (dirent *entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name.size() > 5 && name.compare(name.size() - 5, 5, ".balm") == 0 && name != id + ".balm" &&
          IsRegularFile(folder + "/" + name))
         if ((found = tryFile(folder + "/" + name)))
            break;
   }
   closedir(dir);
   return found;
}

/// Whether `text` is base64 as TBase64::Encode writes a model (its alphabet, padded with '=' to a
/// multiple of four): ROOT's decoder looks each character up in its table unchecked, and one
/// damaged character of a model key crashed every reader of the file (inspect, export, ROOT).
bool IsBase64(const TString &text)
{
   const Ssiz_t n = text.Length();
   if (n % 4 != 0)
      return false;
   for (Ssiz_t i = 0; i < n; ++i) {
      const char c = text[i];
      const bool letterOrDigit = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      const bool padding = c == '=' && i >= n - 2 && text[n - 1] == '=';
      if (!letterOrDigit && c != '+' && c != '/' && !padding)
         return false;
   }
   return true;
}

} // namespace

std::string UuidOf(TFile &file)
{
   return file.GetUUID().AsString();
}

std::string TreePath(const TTree &tree)
{
   std::string path = tree.GetName();
   for (const TDirectory *directory = tree.GetDirectory(); directory; directory = directory->GetMotherDir())
      path = std::string(directory->GetName()) + "/" + path;
   return path;
}

std::vector<TFile *> OpenFiles()
{
   std::vector<TFile *> files;
   R__LOCKGUARD(gROOTMutex);
   if (TSeqCollection *open = gROOT->GetListOfFiles())
      for (TObject *object : *open)
         if (auto *file = dynamic_cast<TFile *>(object))
            files.push_back(file);
   return files;
}

std::string ModelKeyName(const std::string &id)
{
   return kKeyPrefix + id;
}

bool IsModelKeyName(const std::string &name)
{
   return name.rfind(kKeyPrefix, 0) == 0;
}

std::string ModelIdOfKeyName(const std::string &name)
{
   return name.substr(std::string(kKeyPrefix).size());
}

bool NamesModelById(const std::string &specText)
{
   try {
      return IsWellFormedId(baler::codec::Spec::Parse(specText).ModelReference());
   } catch (const Error &) { // a spec that does not parse names no model
      return false;
   }
}

ModelPtr FindModel(const std::string &idAsGiven)
{
   // ids are printed in lower case; the same digits in upper case name the same model
   std::string id = idAsGiven;
   std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
   if (ModelPtr model = Cached(id))
      return model;
   if (!IsWellFormedId(id))
      throw Error("\"" + idAsGiven + "\" is not a model id (a hex digest) nor a readable .balm file");
   std::vector<std::string> skipped;
   for (const auto &folder : ModelPathFolders())
      if (ModelPtr model = FindInFolder(folder, id, skipped))
         return model;
   const char *path = std::getenv("BALER_MODEL_PATH");
   const std::string modelPath = path && *path ? std::string("\"") + path + "\"" : std::string("unset");
   std::string damaged;
   {
      Store &store = TheStore();
      std::shared_lock<std::shared_mutex> lock(store.mutex);
      auto found = store.damagedInFile.find(id);
      if (found != store.damagedInFile.end())
         damaged = found->second;
   }
   std::string message = damaged.empty()
                            ? "model " + id + " is neither in the file nor in BALER_MODEL_PATH (" + modelPath + ")"
                            : "model " + id + " is corrupt in " + damaged + ", and BALER_MODEL_PATH (" + modelPath +
                                 ") has no copy of it";
   for (const auto &reason : skipped)
      message += "; skipped " + reason;
   throw MissingModel(message);
}

ModelPtr FindModelInProcess(const std::string &id)
{
   if (ModelPtr model = Cached(id))
      return model;
   for (TFile *file : OpenFiles())
      LoadModelsOf(*file);
   return FindModel(id);
}

bool IsRegularFile(const std::string &path)
{
   struct stat info {};
   return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

ModelPtr ModelForSpec(const baler::codec::Spec &spec)
{
   const std::string reference = spec.ModelReference();
   {
      Store &store = TheStore();
      std::shared_lock<std::shared_mutex> lock(store.mutex);
      auto found = store.byReference.find(reference);
      if (found != store.byReference.end())
         return found->second;
   }
   ModelPtr model = IsRegularFile(reference) ? ReadModelFile(reference) : FindModel(reference);
   Store &store = TheStore();
   std::unique_lock<std::shared_mutex> lock(store.mutex);
   return store.byReference.emplace(reference, model).first->second;
}

namespace {

/// What tells the model keys of a file from those of another with the same UUID: `cp` keeps the
/// UUID, and so does UPDATE. By UUID alone, a copy read first stood for the file: its damaged key
/// made the intact file's models unreadable; without the keys, the file's own were "neither in
/// the file nor in BALER_MODEL_PATH"; and a tree that UPDATE added with a new model could not be
/// read in a process that had read the file before. So also its name, and where its list of keys
/// is, which every key written or deleted in UPDATE moves.
std::string KeysReadAs(TFile &file)
{
   return UuidOf(file) + '\n' + file.GetName() + '\n' + std::to_string(file.GetSeekKeys());
}

} // namespace

void LoadModelsOf(TFile &file)
{
   const std::string readAs = KeysReadAs(file); // (on every basket read; the rest once per list of keys)
   Store &store = TheStore();
   {
      std::shared_lock<std::shared_mutex> lock(store.mutex);
      if (store.keysRead.count(readAs))
         return;
   }
   const std::string uuid = UuidOf(file);
   // Under IMT the first baskets of a file are read on several threads at once, each of which
   // may come here; ROOT reads baskets from the file under gROOTMutex, and so must the keys read
   // here, or a seek of one thread moves the read of another.
   struct KeyText {
      std::string name, text, damage;
   };
   std::vector<KeyText> texts;
   {
      R__LOCKGUARD(gROOTMutex);
      std::set<std::string> names;
      if (TList *keys = file.GetListOfKeys())
         for (TObject *key : *keys)
            if (IsModelKeyName(key->GetName()))
               names.insert(key->GetName());
      for (const auto &name : names) {
         KeyText read{name, {}, {}};
         const TKey *key = file.GetKey(name.c_str()); // its highest cycle
         if (!key || std::string(key->GetClassName()) != "TObjString")
            read.damage = "not a TObjString";
         else
            read.damage = ReadObjStringKey(file, key->GetSeekKey(), key->GetNbytes(), read.text);
         texts.push_back(std::move(read));
      }
   }
   for (const auto &[name, text, damage] : texts) {
      const std::string id = ModelIdOfKeyName(name);
      try {
         if (!damage.empty())
            throw Error(damage);
         if (!IsBase64(text.c_str()))
            throw Error("its text is not base64");
         const TString bytes = TBase64::Decode(text.c_str());
         ModelPtr model = Model::Parse(reinterpret_cast<const std::uint8_t *>(bytes.Data()),
                                       static_cast<std::size_t>(bytes.Length()));
         if (model->Id() != id)
            throw Error("its content has id " + model->Id());
         Remember(model);
         if (model->IsObjectModel()) {
            std::unique_lock<std::shared_mutex> lock(store.mutex);
            store.filesWithObjectModels.insert(uuid);
         }
      } catch (const Error &e) {
         // An intact copy reads the baskets all the same (the models are known by content hash):
         // one this process read already (another copy of the file), or one in BALER_MODEL_PATH.
         try {
            const bool held = Cached(id) != nullptr;
            FindModel(id);
            ::Warning("Baler", "%s: model %s is corrupt (%s); %s is used", file.GetName(), id.c_str(), e.what(),
                      held ? "the intact copy this process has read" : "its copy in BALER_MODEL_PATH");
         } catch (const Error &) {
            ::Error("Baler", "%s: model %s is corrupt (%s); baskets coded with it cannot be read", file.GetName(),
                    id.c_str(), e.what());
            std::unique_lock<std::shared_mutex> lock(store.mutex);
            store.damagedInFile.emplace(id, std::string(file.GetName()) + " (" + e.what() + ")");
         }
      }
   }
   std::unique_lock<std::shared_mutex> lock(store.mutex);
   store.keysRead.insert(readAs);
}

bool HoldsObjectModel(TFile &file)
{
   Store &store = TheStore();
   std::shared_lock<std::shared_mutex> lock(store.mutex);
   return store.filesWithObjectModels.count(UuidOf(file)) != 0;
}

namespace {

void AddPending(std::vector<ModelPtr> &pending, const ModelPtr &model)
{
   if (std::none_of(pending.begin(), pending.end(), [&](const ModelPtr &m) { return m->Id() == model->Id(); }))
      pending.push_back(model);
}

/// The warning for an `ae:` spec whose model coded none of the baskets of the branches it served.
std::string IdleModelWarning(const std::string &aeSpec, const Service &service)
{
   // an object model codes a member's basket with the decoded values of its context members over
   // the same entries, which the tree may not give it
   const char *why = !service.objectModel ? "they hold rows of another width, or rows it does not make smaller"
                     : !service.servedAMember
                        ? "none of them is a member of it (it was trained on another collection's branches)"
                        : "the members they are predicted from are not all coded with it in this tree, were "
                          "written after them (ROOT writes a tree's baskets in the order of its branches: make the "
                          "carriers' branches, or list their Snapshot columns, first), their baskets do not hold the "
                          "same entries, or it does not make them smaller";
   return "model " + service.modelId + " (" + aeSpec + ") coded no basket of " + BranchList(service.branches) +
          ": " + why + ", and they are stored per value at " + AeBound(aeSpec);
}

/// At exit, once every file is written: a warning for each `ae:` spec whose model coded none of the
/// baskets given to it in a file (unless TakeIdleModelWarnings took it). Said at the file's first
/// StreamerInfo write, it came at the first AutoSave, before the model had coded the baskets it
/// codes later, and was never withdrawn (a long-jobs sweep). (fprintf: ROOT's own handlers may be
/// gone.)
void ReportIdleModels()
{
   Store &store = TheStore();
   std::unique_lock<std::shared_mutex> lock(store.mutex);
   for (auto &[uuid, services] : store.servicesByFile)
      for (auto &[aeSpec, service] : services)
         if (!service.coded && !service.reported) {
            service.reported = true;
            std::fprintf(stderr, "Warning in <Baler>: %s: %s\n", store.fileNames[uuid].c_str(),
                         IdleModelWarning(aeSpec, service).c_str());
         }
}

} // namespace

void NoteModelService(TFile &file, const ModelPtr &model, const std::string &aeSpec, const std::string &branch,
                      bool coded)
{
   static std::once_flag reportAtExit;
   std::call_once(reportAtExit, [] { std::atexit(ReportIdleModels); });
   const std::string uuid = UuidOf(file);
   Store &store = TheStore();
   std::unique_lock<std::shared_mutex> lock(store.mutex);
   store.fileNames[uuid] = file.GetName();
   if (coded)
      AddPending(store.pendingByFile[uuid], model);
   Service &service = store.servicesByFile[uuid][aeSpec];
   service.modelId = model->Id();
   service.objectModel = model->IsObjectModel();
   std::vector<std::string> context;
   service.servedAMember = service.servedAMember || (service.objectModel && model->ObjectMemberContext(branch, context));
   service.coded = service.coded || coded;
   if (std::find(service.branches.begin(), service.branches.end(), branch) == service.branches.end())
      service.branches.push_back(branch);
}

void NoteModelToCarry(TFile &file, const ModelPtr &model)
{
   const std::string uuid = UuidOf(file);
   Store &store = TheStore();
   std::unique_lock<std::shared_mutex> lock(store.mutex);
   AddPending(store.pendingByFile[uuid], model);
}

std::vector<std::string> TakeIdleModelWarnings(TFile &file)
{
   std::vector<std::string> warnings;
   Store &store = TheStore();
   std::unique_lock<std::shared_mutex> lock(store.mutex);
   auto found = store.servicesByFile.find(UuidOf(file));
   if (found == store.servicesByFile.end())
      return warnings;
   for (auto &[aeSpec, service] : found->second)
      if (!service.coded && !service.reported) {
         service.reported = true;
         warnings.push_back(IdleModelWarning(aeSpec, service));
      }
   return warnings;
}

std::string AeBound(const std::string &aeSpec)
{
   // `bits:N`, `rel:E` or `abs:E`, each with one colon (a MODEL path may hold more)
   const std::size_t start = std::string("ae:").size();
   const std::size_t kindEnd = aeSpec.find(':', start);
   return aeSpec.substr(start, aeSpec.find(':', kindEnd + 1) - start);
}

std::string SpecAsStored(const std::string &spec, const ModelPtr &model, bool modelCoded)
{
   if (!model)
      return spec;
   return modelCoded ? "ae:" + AeBound(spec) + ":" + model->Id() : AeBound(spec);
}

std::string BranchList(const std::vector<std::string> &branches)
{
   std::string names;
   for (const auto &branch : branches)
      names += (names.empty() ? "" : ", ") + branch;
   return names;
}

/// ROOT writes a file's StreamerInfo records at Close, which a program's exit() leaves to ROOT's
/// exit handler, where it can no longer build the record of a class met for the first time
/// (TStreamerInfo::Build crashed there, the file left unclosed). A model key brings TObjString's
/// record, whose elements (a TStreamerString) a file of trees need not have: streamed once here,
/// every record it needs is built while ROOT still can.
void BuildModelKeyRecords()
{
   static std::once_flag built;
   std::call_once(built, [] {
      TBufferFile scratch(TBuffer::kWrite);
      TObjString::Class()->GetStreamerInfo()->Streamer(scratch);
   });
}

int WritePendingModels(TFile &file)
{
   std::vector<ModelPtr> pending;
   {
      Store &store = TheStore();
      std::unique_lock<std::shared_mutex> lock(store.mutex);
      auto found = store.pendingByFile.find(UuidOf(file));
      if (found == store.pendingByFile.end())
         return 0;
      pending = std::move(found->second);
      store.pendingByFile.erase(found);
   }
   // TBufferMerger's in-memory files (RDataFrame's multi-threaded Snapshot) are merged into the
   // output as they fill: a model key in each came out once per merge (`;1`, `;2`), and ROOT warned
   // it could not reset the key after each merge. The output carries the model as any file that
   // baskets were copied into does (CopiedBaskets.h).
   if (!file.IsWritable() || file.InheritsFrom("ROOT::TBufferMergerFile"))
      return 0;
   int written = 0;
   for (const auto &model : pending) {
      const std::string name = ModelKeyName(model->Id());
      if (file.GetListOfKeys() && file.GetListOfKeys()->FindObject(name.c_str()))
         continue;
      const auto &bytes = model->Bytes();
      TObjString text(TBase64::Encode(reinterpret_cast<const char *>(bytes.data()), static_cast<Int_t>(bytes.size())));
      BuildModelKeyRecords();
      if (file.WriteTObject(&text, name.c_str()) <= 0)
         ::Error("Baler", "%s: cannot write model %s; its baskets will need BALER_MODEL_PATH to be read", file.GetName(),
               model->Id().c_str());
      else
         ++written;
   }
   return written;
}

int DeleteRepeatedModelKeys(TFile &file)
{
   if (!file.IsWritable() || !file.GetListOfKeys())
      return 0;
   std::map<std::string, Short_t> highest;
   for (auto *key : TRangeDynCast<TKey>(file.GetListOfKeys()))
      if (key && IsModelKeyName(key->GetName()))
         highest[key->GetName()] = std::max(highest[key->GetName()], key->GetCycle());
   std::vector<std::string> repeated;
   for (auto *key : TRangeDynCast<TKey>(file.GetListOfKeys()))
      if (key && IsModelKeyName(key->GetName()) && key->GetCycle() < highest[key->GetName()])
         repeated.push_back(std::string(key->GetName()) + ";" + std::to_string(key->GetCycle()));
   for (const auto &nameCycle : repeated)
      file.Delete(nameCycle.c_str());
   return static_cast<int>(repeated.size());
}

} // namespace Baler::Internal
