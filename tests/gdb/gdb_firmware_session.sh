#!/bin/sh
# gdb-multiarch on real firmware in the simulator (docs/gdb.md):
#   gdb_firmware_session.sh [--break FUNC] [--print EXPR] [--word ADDR VALUE] [--status N]
#                           ELF_PATH VP_COMMAND...
# starts VP_COMMAND (a simulator command line with `--gdb PORT`; PORT 0 picks a free
# port) in the background, waits for its "epochcore: waiting for GDB on 127.0.0.1:PORT"
# line, then runs gdb-multiarch in batch mode: file ELF_PATH, target remote, break FUNC
# (main), continue, info registers a0, next, info locals, p EXPR (if given), continue to
# the end. Checks gdb's output (stopped in FUNC, a0 shown, the step, the expression
# printed, the program exited) and the simulator's exit status (N, default 0). --word reads
# the 32-bit word at ADDR through GDB at the breakpoint (e.g. an accelerator register) and
# expects VALUE.
# SKIPPED (77) without gdb-multiarch ($GDB overrides) or without ELF_PATH.
# Registered in ctest as gdb_firmware_session (tests/CMakeLists.txt).
set -u
GDB=${GDB:-gdb-multiarch}
FUNC=main
EXPR=
STATUS=0
WORD_ADDR=
WORD_VALUE=
while [ $# -gt 0 ]; do
  case "$1" in
    --break) FUNC=$2; shift 2 ;;
    --print) EXPR=$2; shift 2 ;;
    --status) STATUS=$2; shift 2 ;;
    --word) WORD_ADDR=$2; WORD_VALUE=$3; shift 3 ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ]; then
  echo "usage: gdb_firmware_session.sh [--break FUNC] [--print EXPR] [--status N] ELF_PATH VP_COMMAND..."
  exit 2
fi
ELF=$1
shift
if ! command -v "$GDB" >/dev/null 2>&1; then
  echo "SKIPPED: $GDB not found (Debian package gdb-multiarch)"
  exit 77
fi
if [ ! -f "$ELF" ]; then
  echo "SKIPPED: no firmware ELF at $ELF"
  exit 77
fi

work=$(mktemp -d)
vp_pid=
cleanup() {
  [ -n "$vp_pid" ] && kill "$vp_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() {
  echo "FAILED: $*"
  failures=$((failures + 1))
}
expect() {
  if grep -Eq -- "$1" "$work/gdb.out"; then echo "ok: $1"; else fail "no line of gdb's output matches '$1'"; fi
}

echo "--- starting: $*"
"$@" >"$work/vp.out" 2>"$work/vp.err" &
vp_pid=$!
port=
i=0
while [ $i -lt 600 ]; do  # elaboration may take a while: at most 60 s
  port=$(sed -n 's/^epochcore: waiting for GDB on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$work/vp.err" "$work/vp.out" | head -n 1)
  [ -n "$port" ] && break
  if ! kill -0 "$vp_pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
  i=$((i + 1))
done
if [ -z "$port" ]; then
  echo "FAILED: the simulator never said 'waiting for GDB' (did the command have --gdb PORT?)"
  echo "--- simulator stdout"; cat "$work/vp.out"
  echo "--- simulator stderr"; cat "$work/vp.err"
  exit 1
fi

set -- -batch -nx -ex "file $ELF" -ex "target remote 127.0.0.1:$port" -ex "break $FUNC" \
  -ex continue -ex 'info registers a0'
[ -n "$WORD_ADDR" ] && set -- "$@" -ex "x/1wx $WORD_ADDR"
set -- "$@" -ex next -ex 'info locals'
[ -n "$EXPR" ] && set -- "$@" -ex "p $EXPR"
set -- "$@" -ex continue
# 300 s: the firmware runs to its end inside the last continue.
timeout 300 "$GDB" "$@" >"$work/gdb.out" 2>&1
gdb_status=$?
echo "--- gdb (exit status $gdb_status)"
cat "$work/gdb.out"

expect "^Breakpoint 1 at 0x[0-9a-f]+"
expect "^Breakpoint 1, (0x[0-9a-f]+ in )?$FUNC \\("
expect '^a0[[:space:]]+0x[0-9a-f]+'
# next: a source line ("N<tab>text" or "N<tab>in FILE") after the registers
if awk '/^a0[[:space:]]/ { seen = 1; next } seen && /^[0-9]+[[:space:]]/ { found = 1 } END { exit !found }' "$work/gdb.out"; then
  echo "ok: next showed a source line"
else
  fail "no source line after 'next'"
fi
[ -n "$EXPR" ] && expect '^\$1 = '
[ -n "$WORD_ADDR" ] && expect "^$WORD_ADDR( <[^>]*>)?:[[:space:]]+$WORD_VALUE"
expect '^\[Inferior 1 \(Remote target\) exited (normally|with code [0-9]+)\]'

i=0
while kill -0 "$vp_pid" 2>/dev/null && [ $i -lt 300 ]; do  # at most 30 s after gdb
  sleep 0.1
  i=$((i + 1))
done
if kill -0 "$vp_pid" 2>/dev/null; then
  fail "the simulator still runs 30 s after gdb ended"
  kill "$vp_pid"
fi
wait "$vp_pid"
vp_status=$?
vp_pid=
if [ "$vp_status" -eq "$STATUS" ]; then
  echo "ok: simulator exit status $vp_status"
else
  fail "simulator exit status $vp_status, expected $STATUS"
fi
echo "--- simulator stdout"; cat "$work/vp.out"
echo "--- simulator stderr"; cat "$work/vp.err"
if [ $failures -ne 0 ]; then
  echo "$failures check(s) FAILED"
  exit 1
fi
echo "gdb firmware session: all checks passed"
