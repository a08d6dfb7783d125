// What built this program: its version and the source revision, for `--version` and the
// report's "program" section (docs/report.md).
#pragma once

namespace epochcore {

// The CMake project version, e.g. "0.1.0".
const char* program_version();
// `git describe --always --dirty` of the source tree at configure time; "unknown" outside
// a git checkout.
const char* program_revision();

}  // namespace epochcore
