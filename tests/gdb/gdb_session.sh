#!/bin/sh
# A real gdb-multiarch against the GDB server (docs/gdb.md), in batch mode, over the fake
# CPU of tests/gdb/fake_cpu.h run by gdb_fake_target (no SystemC, no firmware):
#   1. registers, a breakpoint, continue onto it, memory, stepi, kill;
#   2. Ctrl-C (SIGINT to gdb) while the program loops, a register written, detach: the
#      program runs to its end without the debugger;
#   3. continue to the exit: gdb reports the exit code;
#   4. a fault: gdb reports the program terminated (X0b, SIGSEGV);
#   5. gdb ends (batch) while the program is stopped: it detaches, the program runs on.
# Usage: gdb_session.sh FAKE_TARGET. SKIPPED (77) without gdb-multiarch ($GDB overrides).
set -u
FAKE=${1:?usage: gdb_session.sh FAKE_TARGET}
GDB=${GDB:-gdb-multiarch}
if ! command -v "$GDB" >/dev/null 2>&1; then
  echo "SKIPPED: $GDB not found (Debian package gdb-multiarch)"
  exit 77
fi
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() {
  echo "FAILED: $*"
  failures=$((failures + 1))
}
# expect FILE PATTERN: an extended regular expression that must match a line of FILE
expect() {
  if grep -Eq -- "$2" "$1"; then echo "ok: $2"; else fail "no line matches '$2' in $(basename "$1")"; fi
}

# start_target ARGS...: runs the fake target in the background, waits for its
# "waiting for GDB" line and sets $port.
start_target() {
  : >"$work/target.err"
  "$FAKE" --gdb 0 "$@" 2>"$work/target.err" &
  pid=$!
  port=
  i=0
  while [ $i -lt 100 ]; do
    port=$(sed -n 's/^epochcore: waiting for GDB on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$work/target.err")
    [ -n "$port" ] && return 0
    sleep 0.1
    i=$((i + 1))
  done
  echo "FAILED: no 'waiting for GDB' line from $FAKE"
  cat "$work/target.err"
  exit 1
}
# end_target NAME EXPECTED_STATUS: waits for the target (at most 20 s) and checks its status.
end_target() {
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "$1: the target still runs after gdb ended"
    kill "$pid"
  fi
  wait "$pid"
  status=$?
  pid=
  if [ "$status" -eq "$2" ]; then echo "ok: $1: target exit status $status"; else fail "$1: target exit status $status, expected $2"; fi
  echo "--- target stderr ($1)"
  cat "$work/target.err"
}
show() {
  echo "--- gdb ($1)"
  cat "$2"
}

# 1. The basic session.
start_target --exit-code 3
timeout 60 "$GDB" -batch -nx -ex 'set architecture riscv:rv32' -ex "target remote 127.0.0.1:$port" \
  -ex 'info registers pc' -ex 'break *0x80000010' -ex continue -ex 'x/4wx 0x80000000' \
  -ex stepi -ex 'p $pc' -ex 'info registers t0' -ex 'x/wx 0x40000004' -ex 'x/wx 0x10000000' \
  -ex kill >"$work/gdb1.out" 2>&1
show basic "$work/gdb1.out"
expect "$work/gdb1.out" '^pc +0x80000000'
expect "$work/gdb1.out" '^Breakpoint 1, 0x80000010 in'
expect "$work/gdb1.out" '^0x80000000:[[:space:]]+0x00108093[[:space:]]+0x00210113[[:space:]]+0x00318193[[:space:]]+0x00420213'
expect "$work/gdb1.out" '^\$1 = \(void \(\*\)\(\)\) 0x80000014'
expect "$work/gdb1.out" '^t0[[:space:]]+0x5[[:space:]]+5$'
expect "$work/gdb1.out" '^0x40000004:[[:space:]]+0xec000001'
expect "$work/gdb1.out" 'Cannot access memory at address 0x10000000'
expect "$work/gdb1.out" '^\[Inferior 1 \(Remote target\) killed\]'
end_target basic 2

# 2. Ctrl-C: SIGINT to gdb (not through timeout(1), which would signal it twice), which
# sends 0x03 to the server; then a register write ends the loop and gdb detaches.
start_target --loops 0x1000000 --exit-code 3
"$GDB" -batch -nx -ex 'set architecture riscv:rv32' -ex "target remote 127.0.0.1:$port" \
  -ex continue -ex 'info registers pc' -ex 'set $t1 = 1' -ex detach >"$work/gdb2.out" 2>&1 &
gdb_pid=$!
sleep 1.5
kill -INT "$gdb_pid" 2>/dev/null
i=0
while kill -0 "$gdb_pid" 2>/dev/null && [ $i -lt 300 ]; do
  sleep 0.1
  i=$((i + 1))
done
kill -0 "$gdb_pid" 2>/dev/null && { fail "gdb still runs 30 s after Ctrl-C"; kill "$gdb_pid"; }
wait "$gdb_pid"
show ctrl-c "$work/gdb2.out"
expect "$work/gdb2.out" '^Program received signal SIGINT, Interrupt\.'
expect "$work/gdb2.out" '^pc +0x800000'
expect "$work/gdb2.out" '^\[Inferior 1 \(Remote target\) detached\]'
end_target ctrl-c 3

# 3. To the end: the exit code reaches gdb.
start_target --exit-code 3
timeout 60 "$GDB" -batch -nx -ex 'set architecture riscv:rv32' -ex "target remote 127.0.0.1:$port" \
  -ex 'break *0x80000020' -ex continue -ex 'delete' -ex continue >"$work/gdb3.out" 2>&1
show exit "$work/gdb3.out"
expect "$work/gdb3.out" '^Breakpoint 1, 0x80000020 in'
expect "$work/gdb3.out" '^\[Inferior 1 \(Remote target\) exited with code 03\]'
end_target exit 3

# 4. A fault ends the run.
start_target --fault-at 0x80000020
timeout 60 "$GDB" -batch -nx -ex "target remote 127.0.0.1:$port" -ex continue >"$work/gdb4.out" 2>&1
show fault "$work/gdb4.out"
expect "$work/gdb4.out" '^Program terminated with signal SIGSEGV'
end_target fault 3

# 5. gdb quits with the program stopped: qAttached says 1, so it detaches.
start_target --exit-code 4
timeout 60 "$GDB" -batch -nx -ex "target remote 127.0.0.1:$port" -ex 'break *0x80000008' \
  -ex continue >"$work/gdb5.out" 2>&1
show quit "$work/gdb5.out"
expect "$work/gdb5.out" '^Breakpoint 1, 0x80000008 in'
expect "$work/gdb5.out" '^\[Inferior 1 \(Remote target\) detached\]'
end_target quit 4

if [ $failures -ne 0 ]; then
  echo "$failures check(s) FAILED"
  exit 1
fi
echo "gdb session: all checks passed"
