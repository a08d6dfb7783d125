#!/usr/bin/env bash
# Packaging checks, run by ctest (tests/CMakeLists.txt, "installed package" block):
#   test_install.sh installed SOURCE_DIR BUILD_DIR WORK_DIR
#     installs BUILD_DIR into WORK_DIR/prefix; checks the tree's layout, that no installed
#     file names the source or build directory, that the installed simulator finds its
#     data; builds and runs examples/foreign_soc from scratch against the prefix
#     (find_package(EpochCore) only); compiles and links a C++ file with the flags of
#     `pkg-config epochcore` (and a C99 file with the C contract headers, when installed).
#   test_install.sh subdir SOURCE_DIR WORK_DIR
#     configures tests/install/subdir_consumer, which add_subdirectory()s SOURCE_DIR and
#     links EpochCore::accelerator, with Catch2, yaml-cpp and nlohmann_json made
#     unfindable (a library-only build must not need them), builds and runs it.
set -euo pipefail
mode="$1"; src="$(cd "$2" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $* ($(date +%T))"; }
jobs="${EPOCHCORE_TEST_JOBS:-2}"

case "$mode" in
installed)
  build="$(cd "$3" && pwd)"; work="$4"
  rm -rf "$work"; mkdir -p "$work"; work="$(cd "$work" && pwd)"
  prefix="$work/prefix"

  step "install into $prefix"
  cmake --install "$build" --prefix "$prefix" >"$work/install.log"
  for f in bin/epochcore-vp include/epochcore_version.h \
           include/epochcore/models/accelerator/epochcore_accel.h \
           include/epochcore/firmware/hal/hal.h include/epochcore/contract/registers.h \
           lib/cmake/EpochCore/EpochCoreConfig.cmake lib/cmake/EpochCore/EpochCoreConfigVersion.cmake \
           lib/cmake/EpochCore/EpochCoreTargets.cmake lib/pkgconfig/epochcore.pc \
           share/epochcore/tech/45nm.yaml share/epochcore/default.yaml; do
    [ -f "$prefix/$f" ] || fail "not installed: $f"
  done
  for l in contract_cxx description maths accelerator firmware compiler; do
    [ -f "$prefix/lib/libepochcore_$l.a" ] || fail "not installed: lib/libepochcore_$l.a"
  done
  # Every header of the library folders, at its in-tree path.
  for dir in contract description maths models firmware compiler; do
    while IFS= read -r h; do
      [ -f "$prefix/include/epochcore/$h" ] || fail "header not installed: $h"
    done < <(cd "$src" && find "$dir" -name '*.h' -o -name '*.hpp')
  done
  [ ! -e "$prefix/include/epochcore/platform" ] || fail "platform headers installed (platform libraries are not exported)"

  step "no installed file names the source or build directory"
  for p in "$src" "$build" "$(realpath "$src")" "$(realpath "$build")"; do
    if hits="$(grep -rlF -- "$p" "$prefix")"; then
      fail "installed files contain '$p':"$'\n'"$hits"
    fi
  done

  step "the installed simulator finds its technology table under share/epochcore"
  (cd "$work" && env -u EPOCHCORE_DATA_DIR "$prefix/bin/epochcore-vp" \
      --set workload.channels=4 --set workload.length=64 --set array.rows=4 --set array.cols=4 \
      --compare --quiet --report "$work/report.json") >"$work/vp.log" 2>&1 \
    || { cat "$work/vp.log"; fail "installed epochcore-vp failed"; }
  grep -qF "\"$prefix/share/epochcore/tech/45nm.yaml\"" "$work/report.json" \
    || fail "the report does not name $prefix/share/epochcore/tech/45nm.yaml"

  if command -v riscv64-unknown-elf-gcc >/dev/null 2>&1; then
    step "the installed simulator runs its firmware on the RV32 core (share/epochcore/firmware)"
    (cd "$work" && env -u EPOCHCORE_DATA_DIR "$prefix/bin/epochcore-vp" --set host.cpu=rv32 \
        --set workload.channels=4 --set workload.length=64 --set array.rows=4 --set array.cols=4 \
        --quiet --report "$work/report_rv32.json") >"$work/vp_rv32.log" 2>&1 \
      || { cat "$work/vp_rv32.log"; fail "installed epochcore-vp with host.cpu rv32 failed"; }
    grep -qF "\"$prefix/share/epochcore/firmware/epochcore-fw.elf\"" "$work/report_rv32.json" \
      || fail "the report does not name $prefix/share/epochcore/firmware/epochcore-fw.elf"
  fi

  step "examples/foreign_soc against the installed package"
  cmake -S "$src/examples/foreign_soc" -B "$work/foreign_soc" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release >"$work/foreign_soc.log"
  cmake --build "$work/foreign_soc" -j "$jobs" >>"$work/foreign_soc.log" \
    || { cat "$work/foreign_soc.log"; fail "foreign_soc does not build"; }
  grep -q "EpochCore_DIR:PATH=$prefix/" "$work/foreign_soc/CMakeCache.txt" \
    || fail "foreign_soc did not use the installed package"
  SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$work/foreign_soc/foreign_soc" || fail "foreign_soc exited with $?"

  step "pkg-config epochcore"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  flags="$(pkg-config --cflags --libs epochcore)" || fail "pkg-config --cflags --libs epochcore"
  echo "pkg-config: $flags"
  [ "$(pkg-config --modversion epochcore)" = "$(sed -n 's/^#define EPOCHCORE_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/epochcore_version.h")" ] \
    || fail "epochcore.pc and epochcore_version.h disagree on the version"
  cat >"$work/tiny.cpp" <<'CPP'
#include <cstdio>
#include "epochcore_version.h"
#include "epochcore/firmware/driver/driver.h"
#include "epochcore/models/accelerator/epochcore_accel.h"
int sc_main(int, char*[]) {
  epochcore::AccelParams p;
  p.array.rows = 4;
  p.array.cols = 4;
  for (auto& s : p.spad) s = {16, 4, 1};
  epochcore::EpochCoreAccel accel("accel", p);
  std::printf("EpochCore %s (%s): %s, %ux%u\n", EPOCHCORE_VERSION_STRING, EPOCHCORE_GIT_REVISION,
              accel.kind(), accel.params().array.rows, accel.params().array.cols);
  return epochcore::fw::driver_status_name(epochcore::fw::DriverStatus::OK) ? 0 : 1;
}
CPP
  # shellcheck disable=SC2086
  g++ -std=c++17 "$work/tiny.cpp" -o "$work/tiny" $flags || fail "a C++ file does not build with pkg-config's flags"
  SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$work/tiny" || fail "the pkg-config-built program failed"
  if [ -f "$prefix/include/epochcore/contract/epochcore.h" ]; then
    printf '#include "epochcore/contract/epochcore.h"\nint main(void) { return 0; }\n' >"$work/tiny_c.c"
    # shellcheck disable=SC2086
    gcc -std=c99 -pedantic -Werror -c "$work/tiny_c.c" -o "$work/tiny_c.o" $(pkg-config --cflags epochcore) \
      || fail "the C99 contract header does not compile as C99 with pkg-config's flags"
  fi
  ;;
subdir)
  work="$3"
  rm -rf "$work"; mkdir -p "$work"
  step "add_subdirectory consumer"
  # No build type (no optimisation): this checks that the libraries build, and compiles fastest.
  cmake -S "$src/tests/install/subdir_consumer" -B "$work" -DEPOCHCORE_SOURCE_DIR="$src" \
        -DCMAKE_BUILD_TYPE= -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON \
        -DCMAKE_DISABLE_FIND_PACKAGE_yaml-cpp=ON -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON \
        >"$work/configure.log" || { cat "$work/configure.log"; fail "subdir_consumer does not configure"; }
  cmake --build "$work" -j "$jobs" --target consumer >"$work/build.log" \
    || { tail -50 "$work/build.log"; fail "subdir_consumer does not build"; }
  SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$work/consumer" || fail "subdir_consumer exited with $?"
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "OK"
