#ifdef __CLING__
#pragma link off all globals;
#pragma link off all classes;
#pragma link off all functions;
#pragma link C++ nestedclasses;

#pragma link C++ namespace Baler;
#pragma link C++ class Baler::Requires_libBalerROOT+;
#endif
