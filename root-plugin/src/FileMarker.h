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

class TVirtualStreamerInfo;

namespace Baler::Internal {

/// The marker class: version 2, an int `fFormatVersion` and an `fMissingLibrary` of the class below.
inline constexpr const char *kMarkerClass = "Baler::Requires_libBalerROOT";
/// The class of the marker's member, whose name is the fix: version 1, no members.
inline constexpr const char *kFixClass = "Baler::Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH";

/// The StreamerInfo records of the two classes, as files written with the plugin's former
/// dictionary carry them (the same versions and checksums), registered with ROOT so that a file
/// can be tagged with them.
TVirtualStreamerInfo *MarkerStreamerInfo();
TVirtualStreamerInfo *FixStreamerInfo();

} // namespace Baler::Internal

#endif
