#include "epochcore/platform/report/program.h"

// Set on ec_platform by the top-level CMakeLists.txt.
#ifndef EPOCHCORE_VERSION
#define EPOCHCORE_VERSION "unknown"
#endif
#ifndef EPOCHCORE_REVISION
#define EPOCHCORE_REVISION "unknown"
#endif

namespace epochcore {

const char* program_version() { return EPOCHCORE_VERSION; }
const char* program_revision() { return EPOCHCORE_REVISION; }

}  // namespace epochcore
