#!/bin/sh
# Compiles the contract's C test freestanding for RV32 (no main, no libc), as bare-metal
# firmware would: rv32_compile.sh SOURCE INCLUDE_ROOT OUTPUT.o
# Exit 77 (ctest SKIP_RETURN_CODE) when the cross compiler is not installed.
set -eu
CC=riscv64-unknown-elf-gcc
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "SKIPPED: $CC not found (Debian package gcc-riscv64-unknown-elf)"
  exit 77
fi
"$CC" -march=rv32imac -mabi=ilp32 -ffreestanding -nostdlib -std=c99 -Wall -Wextra -Werror \
  -pedantic -DEC_FREESTANDING -I"$2" -c "$1" -o "$3"
# The object must define the check function (the compile produced real code).
riscv64-unknown-elf-nm "$3" | grep -q ' T ec_test_contract$'
echo "rv32 freestanding compile of $1: OK"
