#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) in their own build folder with clang and
# runs each for SECONDS (default 60) on a copy of its seed corpus; prints executions and
# findings per harness; exits 1 on any finding (2 if clang is missing or the build fails).
#   tests/fuzz/run_fuzzers.sh [SECONDS] [HARNESS...]      (docs/fuzzing.md)
# Environment: EPOCHCORE_FUZZ_BUILD_DIR (default build-fuzz), EPOCHCORE_FUZZ_RUNS (also
# stop a harness after this many executions), EPOCHCORE_FUZZ_PARALLEL (harnesses run at
# a time, default 1), EPOCHCORE_JOBS (build parallelism).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${EPOCHCORE_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${EPOCHCORE_JOBS:-$(nproc 2>/dev/null || echo 2)}"
SECONDS_EACH="${1:-60}"
[ $# -gt 0 ] && shift
HARNESSES=("$@")
[ ${#HARNESSES[@]} -gt 0 ] || HARNESSES=(npy safetensors scenario model tech_table commands)
log() { echo "fuzz: $*" >&2; }

command -v clang++ >/dev/null || { log "clang++ not found (apt-get install clang libclang-rt-dev)"; exit 2; }
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang \
        -DCMAKE_CXX_COMPILER=clang++ -DEPOCHCORE_FUZZ=ON >/dev/null || { log "configure failed"; exit 2; }
fi
targets=()
for h in "${HARNESSES[@]}"; do targets+=(--target "fuzz_$h"); done
cmake --build "$BUILD" -j "$JOBS" "${targets[@]}" -- --no-print-directory >&2 || { log "build failed"; exit 2; }

RUN="$BUILD/fuzz-run"
# One harness: runs it, writes its line of the table to $RUN/<harness>/result.
run_one() {
  local h=$1 work="$RUN/$1" runs=() rc start ms execs result artifact
  rm -rf "$work"; mkdir -p "$work/corpus" "$work/artifacts"
  cp "$ROOT/tests/fuzz/corpus/$h/"* "$work/corpus/"
  [ -n "${EPOCHCORE_FUZZ_RUNS:-}" ] && runs=(-runs="$EPOCHCORE_FUZZ_RUNS")
  start=$(date +%s%N)
  # -timeout: one input may take 10 s; -rss_limit_mb/-malloc_limit_mb: 2 GiB (an
  # allocation beyond it is a finding); -use_value_profile: guide past comparisons.
  "$BUILD/tests/fuzz/fuzz_$h" -max_total_time="$SECONDS_EACH" "${runs[@]}" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=2048 -use_value_profile=1 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "$work/corpus" > "$work/log" 2>&1
  rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  execs=${execs:-0}
  if [ $rc -eq 0 ]; then
    result="0 findings"
  else
    artifact=$(ls "$work/artifacts" 2>/dev/null | head -1)
    result="FINDING (exit $rc): $(grep -m1 -E 'ERROR: |runtime error|uncaught exception' "$work/log" | cut -c1-160)"
    [ -n "$artifact" ] && result="$result; input $work/artifacts/$artifact"
    result="$result; log $work/log"
  fi
  printf '%-12s %12s %8s %10s  %s\n' "$h" "$execs" "$((ms / 1000))" "$((execs * 1000 / (ms + 1)))" \
      "$result" > "$work/result"
  return $rc
}

# EPOCHCORE_FUZZ_PARALLEL harnesses at a time (default 1).
parallel="${EPOCHCORE_FUZZ_PARALLEL:-1}"
for h in "${HARNESSES[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  run_one "$h" &
done
wait
findings=0
printf '%-12s %12s %8s %10s  %s\n' harness executions seconds exec/s result
for h in "${HARNESSES[@]}"; do
  cat "$RUN/$h/result"
  grep -q "^$h .* 0 findings$" "$RUN/$h/result" || findings=$((findings + 1))
done
echo "fuzz: $(( ${#HARNESSES[@]} - findings )) passed, $findings failed"
[ $findings -eq 0 ] || { log "$findings harness(es) with findings"; exit 1; }
exit 0
