// Two class names that appear in the StreamerInfo of every file with Baler baskets.
//
// Opening such a file makes ROOT look the classes up; the rootmap next to libBalerROOT maps them
// to the library, so ROOT loads the plugin by itself before any basket is read. Without the
// plugin, ROOT's warnings name the marker class and the class of its member, which spells out
// the fix:
//   Warning in <TClass::Init>: no dictionary for class Baler::Requires_libBalerROOT is available
//   Warning in <TClass::Init>: no dictionary for class Baler::Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH is available
// They come when the file is opened, before the first basket fails to read.
//
// Only the names and the records matter, so the classes have no C++ type and no dictionary: the
// plugin builds their StreamerInfo records itself and registers the classes in ROOT's class table
// (FileMarker.cxx). A rootcling dictionary made ROOT read its `_rdict.pcm` when the plugin loaded,
// which took 25 ms of every process that opens a Baler file (docs/benchmarks.md).
#ifndef BALER_FILEMARKER_H
#define BALER_FILEMARKER_H

#include <vector>

class TFile;
class TVirtualStreamerInfo;

namespace Baler::Internal {

/// The marker class: version 2, an int `fFormatVersion` and an `fMissingLibrary` of the class below.
inline constexpr const char *kMarkerClass = "Baler::Requires_libBalerROOT";
/// The class of the marker's member, whose name is the fix: version 1, no members.
inline constexpr const char *kFixClass = "Baler::Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH";

/// Marks the StreamerInfo records `infos` for the StreamerInfo `file` writes next, as ROOT marks
/// those of the classes it streams (TBuffer::TagStreamerInfo through a buffer whose parent is
/// `file`); the file's index of records grows first where a record's number is past it (a record
/// registered after the file was opened, which TagStreamerInfo refuses).
void TagForWriting(TFile &file, const std::vector<TVirtualStreamerInfo *> &infos);

/// Puts the two classes' records into the StreamerInfo `file` writes next: their current records.
/// The plugin's own are those files written with its former dictionary carry (the same versions
/// and checksums); opening a Baler file makes ROOT take the file's records in their place.
void MarkForAutoload(TFile &file);

/// Notes that a Baler basket went into `file`; any thread (IMT's workers write baskets).
void NoteBalerBasket(TFile &file);

/// MarkForAutoload, where a Baler basket went into `file` since its last StreamerInfo write, or
/// the file was marked before. Called on the thread that writes the StreamerInfo, just before ROOT
/// writes it, and not per basket: opening a Baler file deletes the record a basket was tagged
/// with, and ROOT writes every StreamerInfo of a file anew, so a file tagged with a deleted record
/// (when its basket was written, or at an earlier StreamerInfo write) was left without the marker.
void MarkIfBalerBasketsWentIn(TFile &file);

} // namespace Baler::Internal

#endif
