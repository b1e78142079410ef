#ifdef __CLING__
#pragma link off all globals;
#pragma link off all classes;
#pragma link off all functions;
#pragma link C++ nestedclasses;

#pragma link C++ namespace Baler;
#pragma link C++ class Baler::Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH+;
#pragma link C++ class Baler::Requires_libBalerROOT+;
#endif
