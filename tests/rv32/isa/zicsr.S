# Zicsr: CSRRW CSRRS CSRRC CSRRWI CSRRSI CSRRCI; the machine CSRs' read values and WARL
# fields; the counters (cycle, instret, time and their high halves, mcycle/minstret
# writes). Illegal CSR accesses are in traps.S.
#include "test.h"
TEST_BEGIN
    csrw mscratch, zero
    li t0, 0x5a5a
    csrrw t1, mscratch, t0
    CHECK_EQ 1, t1, 0
    csrr t1, mscratch
    CHECK_EQ 2, t1, 0x5a5a
    li t0, 0x0f0f
    csrrs t1, mscratch, t0
    CHECK_EQ 3, t1, 0x5a5a
    csrrc t1, mscratch, t0
    CHECK_EQ 4, t1, 0x5f5f
    csrrwi t1, mscratch, 0x15
    CHECK_EQ 5, t1, 0x5050
    csrrsi t1, mscratch, 0x0a
    CHECK_EQ 6, t1, 0x15
    csrrci t1, mscratch, 0x03
    CHECK_EQ 7, t1, 0x1f
    csrr t1, mscratch
    CHECK_EQ 8, t1, 0x1c
    csrr t1, misa
    CHECK_EQ 9, t1, 0x40001105
    csrr t1, mhartid
    CHECK_EQ 10, t1, 0
    csrr t1, mvendorid
    CHECK_EQ 11, t1, 0
    csrr t1, marchid
    CHECK_EQ 12, t1, 0
    csrr t1, mimpid
    CHECK_EQ 13, t1, 0
    csrw misa, zero          # WARL: ignored
    csrr t1, misa
    CHECK_EQ 14, t1, 0x40001105
    csrw mstatus, zero
    csrr t1, mstatus
    CHECK_EQ 15, t1, 0x1800  # MPP reads 3 (machine mode only)
    csrsi mstatus, 8
    csrr t1, mstatus
    CHECK_EQ 16, t1, 0x1808
    csrci mstatus, 8
    li t0, -1
    csrw mie, t0
    csrr t1, mie
    CHECK_EQ 17, t1, 0x888
    csrw mie, zero
    csrr t1, mip
    CHECK_EQ 18, t1, 0
    li t0, 0x80000103        # mode 3 is reserved: WARL keeps a legal mode
    csrw mtvec, t0
    csrr t1, mtvec
    CHECK_EQ 19, t1, 0x80000101
    csrw mtvec, zero
    li t0, 0x80000003
    csrw mepc, t0
    csrr t1, mepc
    CHECK_EQ 20, t1, 0x80000002
    csrw mcause, t0
    csrr t1, mcause
    CHECK_EQ 21, t1, 0x80000003
    csrw mtval, t0
    csrr t1, mtval
    CHECK_EQ 22, t1, 0x80000003
    # counters
    rdinstret a0
    addi zero, zero, 0
    addi zero, zero, 0
    addi zero, zero, 0
    rdinstret a1
    sub t1, a1, a0
    CHECK_EQ 23, t1, 4
    rdcycle a0
    nop
    rdcycle a1
    sltu t1, a0, a1
    CHECK_EQ 24, t1, 1
    csrr a0, mcycle
    rdcycle a1
    sub t1, a1, a0
    sltiu t1, t1, 10
    CHECK_EQ 25, t1, 1
    rdtime a0
    li t0, 2000
2:  addi t0, t0, -1
    bnez t0, 2b
    rdtime a1
    sltu t1, a0, a1
    CHECK_EQ 26, t1, 1
    li t0, CLINT_MTIME       # time is the CLINT's mtime
    lw a2, 0(t0)
    rdtime a3
    sub t1, a3, a2
    sltiu t1, t1, 3
    CHECK_EQ 27, t1, 1
    rdcycleh t1
    CHECK_EQ 28, t1, 0
    rdinstreth t1
    CHECK_EQ 29, t1, 0
    rdtimeh t1
    CHECK_EQ 30, t1, 0
    csrw minstret, zero
    csrr t1, minstret
    CHECK_EQ 31, t1, 0
    csrw mcycle, zero
    csrr t1, mcycle
    sltiu t1, t1, 10
    CHECK_EQ 32, t1, 1
    li t0, 5
    csrw mcycleh, t0
    csrr t1, mcycleh
    CHECK_EQ 33, t1, 5
    csrr t1, cycleh
    CHECK_EQ 34, t1, 5
    csrw minstreth, t0
    csrr t1, instreth
    CHECK_EQ 35, t1, 5
    csrr t1, mstatush
    CHECK_EQ 36, t1, 0
TEST_END
