#include "epochcore/platform/report/program.h"

#include "epochcore_version.h"  // generated in the build tree (CMakeLists.txt: ec_version)

namespace epochcore {

const char* program_version() { return EPOCHCORE_VERSION_STRING; }
const char* program_revision() { return EPOCHCORE_GIT_REVISION; }

}  // namespace epochcore
