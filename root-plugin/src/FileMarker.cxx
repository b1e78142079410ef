#include "FileMarker.h"

#include "ModelStore.h"

#include "TArrayC.h"
#include "TBufferFile.h"
#include "TClass.h"
#include "TClassTable.h"
#include "TFile.h"
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

/// The UUIDs of the files a Baler basket went into since their last StreamerInfo write, and the
/// numbers the marker's record has had in this process (opening a Baler file renumbers it). Never
/// destroyed: files close (and write their StreamerInfo) from ROOT's exit handlers.
struct FilesToMark {
   std::mutex mutex;
   std::set<std::string> uuids;
   std::set<Int_t> markerNumbers;
};

FilesToMark &TheFilesToMark()
{
   static auto *files = new FilesToMark;
   return *files;
}

} // namespace

void TagForWriting(TFile &file, const std::vector<TVirtualStreamerInfo *> &infos)
{
   TArrayC *index = file.GetClassIndex();
   if (!index)
      return;
   TBufferFile tagging(TBuffer::kWrite);
   tagging.SetParent(&file);
   for (TVirtualStreamerInfo *info : infos) {
      if (info->GetNumber() >= index->GetSize())
         index->Set(info->GetNumber() + 1);
      tagging.TagStreamerInfo(info);
   }
}

void MarkForAutoload(TFile &file)
{
   TVirtualStreamerInfo *marker = MarkerClass()->GetStreamerInfo();
   {
      FilesToMark &files = TheFilesToMark();
      std::lock_guard<std::mutex> lock(files.mutex);
      files.markerNumbers.insert(marker->GetNumber());
   }
   // tagged, not ForceWriteInfo: a tag asks for no StreamerInfo write where both are marked already
   TagForWriting(file, {marker, FixClass()->GetStreamerInfo()});
}

void NoteBalerBasket(TFile &file)
{
   FilesToMark &files = TheFilesToMark();
   std::lock_guard<std::mutex> lock(files.mutex);
   files.uuids.insert(UuidOf(file));
}

void MarkIfBalerBasketsWentIn(TFile &file)
{
   bool mark = false;
   {
      FilesToMark &files = TheFilesToMark();
      std::lock_guard<std::mutex> lock(files.mutex);
      mark = files.uuids.erase(UuidOf(file)) > 0;
      // a file marked at an earlier StreamerInfo write, whose marker record has since been replaced
      // by a Baler file's: its index still names the old number, which ROOT no longer writes
      const TArrayC *index = file.GetClassIndex();
      for (Int_t number : files.markerNumbers)
         mark = mark || (index && number >= 0 && number < index->GetSize() && index->At(number) != 0);
   }
   if (mark)
      MarkForAutoload(file);
}

} // namespace Baler::Internal
