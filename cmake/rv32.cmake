# Bare-metal RV32IMAC builds with Debian's gcc-riscv64-unknown-elf (docs/firmware.md).
#   ec_rv32_elf(NAME SOURCES a.cpp b.S ... [LINKER_SCRIPT f.ld] [DEFINES X=1 ...]
#               [OPTIONS -O1 ...])
# builds ${CMAKE_BINARY_DIR}/rv32/NAME.elf in one compiler call (sources are few) and adds
# the target NAME (part of ALL). EC_RV32_FOUND is false without the cross compiler: then
# ec_rv32_elf does nothing and the tests that need an ELF report SKIPPED.
find_program(EC_RV32_CC riscv64-unknown-elf-gcc)
find_program(EC_RV32_CXX riscv64-unknown-elf-g++)
if(EC_RV32_CC AND EC_RV32_CXX)
  set(EC_RV32_FOUND TRUE)
else()
  set(EC_RV32_FOUND FALSE)
  message(STATUS "riscv64-unknown-elf-gcc/g++ not found: RV32 firmware and tests are SKIPPED "
                 "(Debian package gcc-riscv64-unknown-elf; ./epochcore deps test installs it)")
endif()
set(EC_RV32_DIR ${CMAKE_BINARY_DIR}/rv32)
# Freestanding: no libc, no heap, no exceptions, no RTTI; soft-float doubles from libgcc.
# -misa-spec=2.2: Zicsr and Zifencei are part of I (binutils 2.40 wants them named under the
# newer spec, and naming them in -march would miss the rv32imac multilib libgcc).
set(EC_RV32_FLAGS -march=rv32imac -mabi=ilp32 -misa-spec=2.2 -ffreestanding -nostdlib -nostartfiles
    -ffp-contract=off
    -ffunction-sections -fdata-sections -Wl,--gc-sections -Wl,--no-warn-rwx-segments -g -O2 -Wall -Wextra
    -DEC_FREESTANDING=1 -I${EC_INCLUDE_ROOT}
    # No build-machine paths in the ELFs (they are installed): source paths relative to the
    # tree, as in the host build (GDB: run it from the source root).
    -ffile-prefix-map=${PROJECT_BINARY_DIR}/include/= -ffile-prefix-map=${PROJECT_SOURCE_DIR}/=
    -Wa,--debug-prefix-map=${PROJECT_SOURCE_DIR}/=)

function(ec_rv32_elf name)
  if(NOT EC_RV32_FOUND)
    return()
  endif()
  cmake_parse_arguments(A "" "LINKER_SCRIPT" "SOURCES;DEFINES;OPTIONS" ${ARGN})
  set(out ${EC_RV32_DIR}/${name}.elf)
  # C and assembly alone: the C compiler (so .c files are C); any .cpp: the C++ driver.
  set(compiler ${EC_RV32_CC})
  foreach(src ${A_SOURCES})
    if(src MATCHES "\\.cpp$")
      set(compiler ${EC_RV32_CXX})
    endif()
  endforeach()
  set(flags ${EC_RV32_FLAGS} ${A_OPTIONS})
  if(compiler STREQUAL "${EC_RV32_CXX}")
    list(APPEND flags -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit)
  endif()
  foreach(d ${A_DEFINES})
    list(APPEND flags -D${d})
  endforeach()
  set(deps ${A_SOURCES})
  if(A_LINKER_SCRIPT)
    list(APPEND flags -T ${A_LINKER_SCRIPT})
    list(APPEND deps ${A_LINKER_SCRIPT})
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${EC_RV32_DIR}
    COMMAND ${compiler} ${flags} ${A_SOURCES} -lgcc -o ${out}
    DEPENDS ${deps} IMPLICIT_DEPENDS CXX ${A_SOURCES}
    COMMENT "RV32 ${name}.elf" VERBATIM COMMAND_EXPAND_LISTS)
  add_custom_target(${name} ALL DEPENDS ${out})
  add_dependencies(${name} ec_version)
endfunction()
