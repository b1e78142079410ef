// A class whose only job is to appear in the StreamerInfo of every file with Baler baskets.
//
// Opening such a file makes ROOT look the class up; the rootmap next to libBalerROOT maps it to
// the library, so ROOT loads the plugin by itself before any basket is read. Without the plugin,
// ROOT's warnings name this class and the class of its member, which spells out the fix:
//   Warning in <TClass::Init>: no dictionary for class Baler::Requires_libBalerROOT is available
//   Warning in <TClass::Init>: no dictionary for class Baler::Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH is available
// They come when the file is opened, before the first basket fails to read.
#ifndef BALER_FILEMARKER_H
#define BALER_FILEMARKER_H

#include "Rtypes.h"

namespace Baler {

/// Only its name matters (see above).
class Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH {
public:
   virtual ~Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH() = default;

   ClassDef(Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH, 1)
};

class Requires_libBalerROOT {
public:
   virtual ~Requires_libBalerROOT() = default;
   Int_t fFormatVersion = 1; ///< Baler block format version the file was written with
   Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH fMissingLibrary; ///< names the fix in ROOT's warning

   ClassDef(Requires_libBalerROOT, 2)
};

} // namespace Baler

#endif
