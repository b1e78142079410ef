#include "FileMarker.h"

#include "ModelStore.h"

#include "TClass.h"
#include "TClassTable.h"
#include "TObjArray.h"
#include "TStreamerElement.h"
#include "TStreamerInfo.h"

#include <mutex>
#include <set>
#include <string>
#include <typeinfo>
#include <vector>

namespace Baler::Internal {

namespace {

constexpr Version_t kFixVersion = 1;
constexpr Version_t kMarkerVersion = 2;

/// An emulated class `name` of `version` whose StreamerInfo record has the elements `elements`
/// makes, with the checksum ROOT computes for such a record (a dictionary's class gets the same).
/// The elements are made after the record: an element of a class makes that class's record, and
/// records are numbered, and written into a file, in the order they are made (the marker's first,
/// so that ROOT's first warning without the plugin names it).
template <typename MakeElements>
TClass *NewRecordOnlyClass(const char *name, Version_t version, MakeElements elements)
{
   auto *cls = new TClass(name, version, /*silent=*/true);
   auto *info = new TStreamerInfo(cls);
   info->SetClassVersion(version);
   for (TStreamerElement *element : elements())
      info->GetElements()->Add(element);
   info->SetCheckSum(info->GetCheckSum(TClass::kCurrentCheckSum));
   cls->RegisterStreamerInfo(info);
   return cls;
}

TClass *FixClass()
{
   static TClass *const fix = NewRecordOnlyClass(kFixClass, kFixVersion, [] { return std::vector<TStreamerElement *>{}; });
   return fix;
}

TClass *MarkerClass()
{
   static TClass *const marker = NewRecordOnlyClass(kMarkerClass, kMarkerVersion, [] {
      return std::vector<TStreamerElement *>{
         new TStreamerBasicType("fFormatVersion", "Baler block format version the file was written with", 0,
                                TVirtualStreamerInfo::kInt, "int"),
         new TStreamerObjectAny("fMissingLibrary", "names the fix in ROOT's warning", 0, kFixClass)};
   });
   return marker;
}

/// The C++ types the class table files the two classes under (it keys a class by its type as
/// well as its name); never instantiated.
struct FixTag {};
struct MarkerTag {};

/// ROOT asks the class table when it meets a class name (in a file's StreamerInfo, after loading
/// the library the rootmap names): the classes are made on that first request.
const bool gRegistered = [] {
   TClassTable::Add(kFixClass, kFixVersion, typeid(FixTag), &FixClass, 0);
   TClassTable::Add(kMarkerClass, kMarkerVersion, typeid(MarkerTag), &MarkerClass, 0);
   return true;
}();

/// The UUIDs of the files a Baler basket went into since their last StreamerInfo write. Never
/// destroyed: files close (and write their StreamerInfo) from ROOT's exit handlers.
struct FilesToMark {
   std::mutex mutex;
   std::set<std::string> uuids;
};

FilesToMark &TheFilesToMark()
{
   static auto *files = new FilesToMark;
   return *files;
}

} // namespace

void MarkForAutoload(TFile &file)
{
   // the marker's record, and with it the records of its members' classes: the fix class's
   MarkerClass()->GetStreamerInfo()->ForceWriteInfo(&file, true);
}

void NoteBalerBasket(TFile &file)
{
   FilesToMark &files = TheFilesToMark();
   std::lock_guard<std::mutex> lock(files.mutex);
   files.uuids.insert(UuidOf(file));
}

void MarkIfBalerBasketsWentIn(TFile &file)
{
   {
      FilesToMark &files = TheFilesToMark();
      std::lock_guard<std::mutex> lock(files.mutex);
      if (files.uuids.erase(UuidOf(file)) == 0)
         return;
   }
   MarkForAutoload(file);
}

} // namespace Baler::Internal
