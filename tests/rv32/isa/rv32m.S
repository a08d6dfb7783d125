# RV32M: MUL MULH MULHSU MULHU DIV DIVU REM REMU with the corner cases of the spec
# (division by zero, signed overflow).
#include "test.h"
TEST_BEGIN
    li a0, 0x7fffffff
    li a1, -2
    li a2, 0x80000000
    li a3, -1
    mul t0, a0, a1
    CHECK_EQ 1, t0, 2
    mulh t0, a0, a1
    CHECK_EQ 2, t0, -1
    mulhu t0, a0, a1
    CHECK_EQ 3, t0, 0x7ffffffe
    mulhsu t0, a1, a0        # -2 * 0x7fffffff (unsigned)
    CHECK_EQ 4, t0, -1
    mulhsu t0, a0, a1        # 0x7fffffff * 0xfffffffe (unsigned)
    CHECK_EQ 5, t0, 0x7ffffffe
    mulh t0, a2, a2
    CHECK_EQ 6, t0, 0x40000000
    mulhu t0, a3, a3
    CHECK_EQ 7, t0, 0xfffffffe
    li t1, 7
    li t2, -2
    div t0, t1, t2
    CHECK_EQ 8, t0, -3
    rem t0, t1, t2
    CHECK_EQ 9, t0, 1
    li t3, -7
    rem t0, t3, t2
    CHECK_EQ 10, t0, -1
    divu t0, t3, t1
    CHECK_EQ 11, t0, 0x24924923
    remu t0, t3, t1
    CHECK_EQ 12, t0, 4
    div t0, t1, zero
    CHECK_EQ 13, t0, -1
    divu t0, t1, zero
    CHECK_EQ 14, t0, 0xffffffff
    rem t0, t1, zero
    CHECK_EQ 15, t0, 7
    remu t0, t3, zero
    CHECK_EQ 16, t0, -7
    div t0, a2, a3
    CHECK_EQ 17, t0, 0x80000000
    rem t0, a2, a3
    CHECK_EQ 18, t0, 0
    mul zero, t1, t1
    CHECK_EQ 19, zero, 0
TEST_END
