#!/bin/sh
# The bare-metal firmware build/rv32/epochcore-fw.elf (docs/firmware.md): an RV32 ELF
# entered at the start of RAM, with no undefined symbol, that leaves at least 64 KiB of
# the 1 MiB RAM for the stack. Exit 77 (SKIPPED) without the cross tools.
# usage: check_rv32_elf.sh ELF
elf="$1"
command -v riscv64-unknown-elf-readelf >/dev/null 2>&1 || { echo "SKIPPED: no riscv64-unknown-elf-readelf"; exit 77; }
[ -f "$elf" ] || { echo "FAIL: $elf not built (cmake --build build --target epochcore-fw)"; exit 1; }
riscv64-unknown-elf-readelf -h "$elf" | grep -q "Class: *ELF32" || { echo "FAIL: not ELF32"; exit 1; }
riscv64-unknown-elf-readelf -h "$elf" | grep -q "Entry point address: *0x80000000" || { echo "FAIL: entry is not 0x80000000"; exit 1; }
undef=$(riscv64-unknown-elf-nm -u "$elf")
[ -z "$undef" ] || { echo "FAIL: undefined symbols: $undef"; exit 1; }
end=$(riscv64-unknown-elf-nm "$elf" | awk '$3 == "__bss_end" { print $1 }')
[ -n "$end" ] || { echo "FAIL: no __bss_end"; exit 1; }
used=$(( 0x$end - 0x80000000 ))
[ $(( used + 65536 )) -le 1048576 ] || { echo "FAIL: image of $used bytes leaves less than 64 KiB of 1 MiB"; exit 1; }
riscv64-unknown-elf-size "$elf"
echo "OK: $used bytes of RAM used by the image"
