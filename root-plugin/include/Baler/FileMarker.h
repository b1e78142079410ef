// A class whose only job is to appear in the StreamerInfo of every file with Baler baskets.
//
// Opening such a file makes ROOT look the class up; the rootmap next to libBalerROOT maps it to
// the library, so ROOT loads the plugin by itself before any basket is read. Without the plugin,
// ROOT's warning names this class, and so tells the user what is missing.
#ifndef BALER_FILEMARKER_H
#define BALER_FILEMARKER_H

#include "Rtypes.h"

namespace Baler {

class Requires_libBalerROOT {
public:
   virtual ~Requires_libBalerROOT() = default;
   Int_t fFormatVersion = 1; ///< Baler block format version the file was written with

   ClassDef(Requires_libBalerROOT, 1)
};

} // namespace Baler

#endif
