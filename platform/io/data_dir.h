// Where the platform's run-time data lives: the technology tables (tech/<name>.yaml) and
// the shipped scenarios. Nothing absolute is compiled in; the first of these wins:
//   1. $EPOCHCORE_DATA_DIR, when set and not empty (taken as given);
//   2. <directory of the running executable>/../share/epochcore, when it is a directory
//      (an installed epochcore-vp: <prefix>/bin -> <prefix>/share/epochcore);
//   3. a build tree: the nearest directory at or above the executable's holding the
//      marker file `epochcore_data_dir.txt` (written by CMake at configure time into the
//      build directory, never installed), whose first line names the data directory
//      (relative paths relative to the marker's directory).
#pragma once
#include <stdexcept>
#include <string>

namespace epochcore {

class DataDirError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The marker's file name (rule 3).
inline constexpr const char* kDataDirMarker = "epochcore_data_dir.txt";

// The data directory for this process (reads $EPOCHCORE_DATA_DIR and /proc/self/exe).
// Throws DataDirError naming the places looked at when none applies.
std::string data_dir();

// The rules above for a given environment value (nullptr: unset) and executable path;
// `exe_path` "" skips rules 2 and 3. The result is lexically normalised (rules 2 and 3).
std::string find_data_dir(const char* env_value, const std::string& exe_path);

// The running executable's absolute path ("" when the platform cannot tell).
std::string executable_path();

}  // namespace epochcore
