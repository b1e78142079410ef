// bench/root_io_write.C with ROOT's implicit multi-threading on: TTree::Fill then compresses the
// baskets of a flush on THREADS worker threads (through the plugin's hook for a Baler setting).
// Prints "root_io_write: SECONDS VALUES" like root_io_write.C.
#include "root_io_write.C"

#include "TROOT.h"

int root_io_write_mt(const char *path, int settings, int nEvents, int threads)
{
   ROOT::EnableImplicitMT(threads);
   return root_io_write(path, settings, nEvents);
}
