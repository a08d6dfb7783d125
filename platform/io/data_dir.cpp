#include "epochcore/platform/io/data_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace epochcore {

namespace fs = std::filesystem;

std::string executable_path() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

std::string find_data_dir(const char* env_value, const std::string& exe_path) {
  if (env_value && *env_value) return env_value;
  std::string looked = "EPOCHCORE_DATA_DIR is not set";
  if (!exe_path.empty()) {
    std::error_code ec;
    const fs::path exe_dir = fs::path(exe_path).parent_path();
    const fs::path installed = (exe_dir / ".." / "share" / "epochcore").lexically_normal();
    if (fs::is_directory(installed, ec)) return installed.string();
    looked += "; no " + installed.string();
    for (fs::path dir = exe_dir;; dir = dir.parent_path()) {
      const fs::path marker = dir / kDataDirMarker;
      if (fs::is_regular_file(marker, ec)) {
        std::ifstream in(marker);
        std::string line;
        std::getline(in, line);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty()) throw DataDirError(marker.string() + ": empty data-directory marker");
        fs::path data = line;
        if (data.is_relative()) data = dir / data;
        return data.lexically_normal().string();
      }
      if (dir == dir.parent_path() || dir.empty()) break;
    }
    looked += "; no " + std::string(kDataDirMarker) + " at or above " + exe_dir.string();
  } else {
    looked += "; the executable's location is unknown";
  }
  throw DataDirError("cannot find EpochCore's data directory (" + looked +
                     "): set EPOCHCORE_DATA_DIR to the directory holding tech/");
}

std::string data_dir() { return find_data_dir(std::getenv("EPOCHCORE_DATA_DIR"), executable_path()); }

}  // namespace epochcore
