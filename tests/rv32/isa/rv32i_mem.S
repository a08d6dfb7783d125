# RV32I loads and stores: LB LH LW LBU LHU SB SH SW, sign/zero extension, offsets, FENCE.
#include "test.h"
TEST_BEGIN
    la s0, data
    lw t0, 0(s0)
    CHECK_EQ 1, t0, 0x8081f2f3
    lb t0, 0(s0)
    CHECK_EQ 2, t0, 0xfffffff3
    lbu t0, 0(s0)
    CHECK_EQ 3, t0, 0xf3
    lb t0, 2(s0)
    CHECK_EQ 4, t0, 0xffffff81
    lb t0, 4(s0)
    CHECK_EQ 5, t0, 0x7f
    lh t0, 0(s0)
    CHECK_EQ 6, t0, 0xfffff2f3
    lhu t0, 2(s0)
    CHECK_EQ 7, t0, 0x8081
    lh t0, 4(s0)
    CHECK_EQ 8, t0, 0x017f
    addi s1, s0, 8
    lw t0, -8(s1)            # negative offset
    CHECK_EQ 9, t0, 0x8081f2f3
    la s2, buf
    li t1, 0x11223344
    sw t1, 0(s2)
    li t2, 0xaa
    sb t2, 1(s2)
    lw t0, 0(s2)
    CHECK_EQ 10, t0, 0x1122aa44
    li t2, 0xbeef
    sh t2, 2(s2)
    lw t0, 0(s2)
    CHECK_EQ 11, t0, 0xbeefaa44
    sb zero, 0(s2)
    lhu t0, 0(s2)
    CHECK_EQ 12, t0, 0xaa00
    li t2, -1
    sw t2, 4(s2)
    sh zero, 4(s2)
    lw t0, 4(s2)
    CHECK_EQ 13, t0, 0xffff0000
    fence
    fence rw, rw
    fence.i
    lw t0, 0(s2)
    CHECK_EQ 14, t0, 0xbeefaa00
    # load into x0 has no effect on x0
    lw zero, 0(s2)
    CHECK_EQ 15, zero, 0
TEST_END

    .data
    .balign 4
data:
    .word 0x8081f2f3
    .word 0x0000017f
    .bss
    .balign 4
buf:
    .space 16
