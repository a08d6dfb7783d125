// The data-directory lookup (platform/io/data_dir.h): environment override, installed
// layout next to the executable, build-tree marker, and the error when nothing applies.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "epochcore/platform/io/data_dir.h"

using namespace epochcore;
namespace fs = std::filesystem;
using Catch::Contains;

namespace {

// A fresh, empty directory under the system's temporary directory.
fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("epochcore_test_data_dir_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("data dir: the environment variable wins", "[data_dir]") {
  const fs::path root = fresh_dir("env");
  fs::create_directories(root / "share" / "epochcore");
  CHECK(find_data_dir("/some/where", (root / "bin" / "vp").string()) == "/some/where");
  // Empty counts as unset.
  CHECK(find_data_dir("", (root / "bin" / "vp").string()) == (root / "share" / "epochcore").string());
  fs::remove_all(root);
}

TEST_CASE("data dir: an installed executable uses <prefix>/share/epochcore", "[data_dir]") {
  const fs::path root = fresh_dir("installed");
  fs::create_directories(root / "share" / "epochcore" / "tech");
  // A build-tree marker above the executable must not win over the installed layout.
  write(root / kDataDirMarker, "/nowhere\n");
  CHECK(find_data_dir(nullptr, (root / "bin" / "epochcore-vp").string()) ==
        (root / "share" / "epochcore").string());
  // Without share/epochcore, the marker applies.
  fs::remove_all(root / "share");
  CHECK(find_data_dir(nullptr, (root / "bin" / "epochcore-vp").string()) == "/nowhere");
  fs::remove_all(root);
}

TEST_CASE("data dir: a build-tree executable finds the nearest marker above it", "[data_dir]") {
  const fs::path root = fresh_dir("build");
  write(root / "build" / kDataDirMarker, (root / "src" / "scenarios").string() + "\n");
  // From the build directory itself and from a subdirectory (tests/).
  CHECK(find_data_dir(nullptr, (root / "build" / "epochcore-vp").string()) ==
        (root / "src" / "scenarios").string());
  CHECK(find_data_dir(nullptr, (root / "build" / "tests" / "unit_tests").string()) ==
        (root / "src" / "scenarios").string());
  // A nearer marker wins; a relative one is relative to its own directory.
  write(root / "build" / "tests" / kDataDirMarker, "../../data\n");
  CHECK(find_data_dir(nullptr, (root / "build" / "tests" / "unit_tests").string()) ==
        (root / "data").string());
  write(root / "build" / "tests" / kDataDirMarker, "\n");
  CHECK_THROWS_AS(find_data_dir(nullptr, (root / "build" / "tests" / "x").string()), DataDirError);
  fs::remove_all(root);
}

TEST_CASE("data dir: nothing found is an error that says what to set", "[data_dir]") {
  const fs::path root = fresh_dir("none");
  // No share/epochcore, no marker at or above (the temporary directory has none).
  CHECK_THROWS_WITH(find_data_dir(nullptr, (root / "bin" / "vp").string()),
                    Contains("EPOCHCORE_DATA_DIR") && Contains("share/epochcore"));
  CHECK_THROWS_WITH(find_data_dir(nullptr, ""), Contains("EPOCHCORE_DATA_DIR"));
  fs::remove_all(root);
}

TEST_CASE("data dir: this test binary of the build tree finds the shipped tables", "[data_dir]") {
  const std::string exe = executable_path();
  REQUIRE(!exe.empty());
  const std::string dir = find_data_dir(nullptr, exe);
  CHECK(fs::equivalent(dir, fs::path(EC_SOURCE_DIR) / "scenarios"));
  CHECK(fs::is_regular_file(fs::path(dir) / "tech" / "45nm.yaml"));
}
