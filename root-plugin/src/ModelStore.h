// Where the `ae:` codec's models come from and where they go.
//
// A model (a `.balm` file, see docs/format.md) is named by its content-hash id. A file written with a
// model carries it once, as a top-level key `baler_model_<id>` (a TObjString holding the .balm bytes
// in base64, so that any reader, uproot included, can fetch it); baskets refer to it by id. Readers
// look an id up in the file being read, then in the folders of BALER_MODEL_PATH.
#ifndef BALER_MODELSTORE_H
#define BALER_MODELSTORE_H

#include "baler/codec.hpp"

#include <memory>
#include <string>
#include <vector>

class TFile;
class TTree;

namespace Baler::Internal {

using ModelPtr = std::shared_ptr<const baler::codec::Model>;

/// A model that is nowhere to be found: not a damaged block, a missing file or setting.
class MissingModel : public baler::codec::Error {
public:
   using baler::codec::Error::Error;
};

/// Whether `path` names a regular file: an `ae:` spec's reference that does is a .balm path, not an id.
bool IsRegularFile(const std::string &path);

/// The model an `ae:` spec names: a .balm path, or an id found in the loaded files or BALER_MODEL_PATH.
/// Throws baler::codec::Error naming the reference when it cannot be found or parsed.
ModelPtr ModelForSpec(const baler::codec::Spec &spec);

/// Whether the `ae:` spec `specText` names its model by id (a hex digest), which the file being read
/// or BALER_MODEL_PATH may hold, rather than by a .balm path; false for a spec that does not parse.
bool NamesModelById(const std::string &specText);

/// The id by which the store keeps what it knows of a file: its UUID (a file object's address is
/// reused once it is deleted).
std::string UuidOf(TFile &file);

/// What tells a tree from another of the same name in its file: the names of its directories and
/// its own ("file.root/a/events"). Read from the names, not TDirectory::GetPath, which fills a
/// buffer of the directory's and so cannot be called from two threads at once (IMT's writers).
std::string TreePath(const TTree &tree);

/// The files open in this process (those on ROOT's list of files).
std::vector<TFile *> OpenFiles();

/// The model with this id, or throws MissingModel naming the id and where it was looked for.
ModelPtr FindModel(const std::string &id);

/// FindModel, after making the models of every open file known: where the input of a tree
/// copied fast keeps the models of the baskets copied (CopiedBaskets.h).
ModelPtr FindModelInProcess(const std::string &id);

/// Makes the models stored in `file` known to FindModel (once per file). Called before a Baler basket
/// of the file is read, on the thread that reads the file, so that decoding (possibly on another
/// thread, e.g. under TTreeCacheUnzip) never does I/O.
void LoadModelsOf(TFile &file);

/// Whether `file` holds an object model (LoadModelsOf has read its models): members of its trees
/// need their carriers' baskets to be read.
bool HoldsObjectModel(TFile &file);

/// Notes how `model` served a basket of `branch` written into `file` under the `ae:` spec `aeSpec`.
/// A basket it coded puts the model on the list the file will carry, written the next time ROOT
/// writes the file's StreamerInfo (on Write and Close); a model that codes none of the baskets
/// given to it is named by TakeIdleModelWarnings, or in a warning when the process exits.
void NoteModelService(TFile &file, const ModelPtr &model, const std::string &aeSpec, const std::string &branch,
                      bool coded);

/// Puts `model` on the list `file` will carry (WritePendingModels), unless it is there already.
void NoteModelToCarry(TFile &file, const ModelPtr &model);

/// A warning for each `ae:` spec whose model has coded none of the baskets of `file` given to it
/// (NoteModelService), each given once: a later call leaves out the specs already named.
std::vector<std::string> TakeIdleModelWarnings(TFile &file);

/// The BOUND of a canonical `ae:BOUND:MODEL` spec: what its branches hold where the model coded nothing.
std::string AeBound(const std::string &aeSpec);

/// `spec` as a branch's blocks name it, so that the table of `baler compress` and a tree's codec
/// note (the rewriter's and the write hook's) say what `baler inspect` reads from the file: an
/// `ae:` spec by its model's id (not the path the user gave) where the model coded a basket, its
/// bound per value where it coded none.
std::string SpecAsStored(const std::string &spec, const ModelPtr &model, bool modelCoded);

/// The branches a message about a model names, as it names them: "a, b, c".
std::string BranchList(const std::vector<std::string> &branches);

/// Writes the models noted for `file` that it does not hold yet; returns how many it wrote. Called
/// after each basket coded through a model (its first one writes the model), from the
/// WriteStreamerInfo hook (the models of copied baskets), and by a writer before TFile::Write so
/// that the list of keys is written once, with the models in it.
int WritePendingModels(TFile &file);

/// Deletes every cycle but the highest of each model key of `file`; returns how many it deleted.
/// ROOT's merges copy the keys of objects they cannot merge (a model's TObjString) into the output
/// at every step: `hadd -O` kept two cycles of a model, and `hadd -n 1` of N files 2^N - 1, which
/// over 20 files ran for more than ten minutes and hundreds of megabytes. One model is one key.
int DeleteRepeatedModelKeys(TFile &file);

/// The key name a model is stored under.
std::string ModelKeyName(const std::string &id);

/// Whether `name` is the name of a key that holds a model.
bool IsModelKeyName(const std::string &name);

/// The model id a key named by ModelKeyName holds (for a name IsModelKeyName accepts).
std::string ModelIdOfKeyName(const std::string &name);

} // namespace Baler::Internal

#endif
