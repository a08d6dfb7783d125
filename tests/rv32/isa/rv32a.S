# RV32A: LR/SC (success, failure without a reservation and on another address) and every
# AMO, each returning the old value and storing the result; aq/rl forms; rd == x0.
#include "test.h"
TEST_BEGIN
    la s0, word
    addi s1, s0, 4
    li t0, 100
    sw t0, 0(s0)
    sw zero, 0(s1)
    lr.w t1, (s0)
    CHECK_EQ 1, t1, 100
    li t2, 5
    sc.w t3, t2, (s0)
    CHECK_EQ 2, t3, 0
    lw t1, 0(s0)
    CHECK_EQ 3, t1, 5
    sc.w t3, t0, (s0)        # the reservation was used: fails, memory unchanged
    CHECK_EQ 4, t3, 1
    lw t1, 0(s0)
    CHECK_EQ 5, t1, 5
    lr.w.aq t1, (s0)
    sc.w.rl t3, t0, (s1)     # another address: fails
    CHECK_EQ 6, t3, 1
    lw t1, 0(s1)
    CHECK_EQ 7, t1, 0
    # AMOs on word = 5
    li t2, 12
    amoswap.w t1, t2, (s0)
    CHECK_EQ 8, t1, 5
    lw t1, 0(s0)
    CHECK_EQ 9, t1, 12
    li t2, -20
    amoadd.w t1, t2, (s0)
    CHECK_EQ 10, t1, 12
    lw t1, 0(s0)
    CHECK_EQ 11, t1, -8
    li t2, 0x0ff0
    amoxor.w t1, t2, (s0)
    CHECK_EQ 12, t1, -8
    lw t1, 0(s0)
    CHECK_EQ 13, t1, 0xfffff008
    li t2, 0xff0f
    amoand.w t1, t2, (s0)
    CHECK_EQ 14, t1, 0xfffff008
    lw t1, 0(s0)
    CHECK_EQ 15, t1, 0xf008
    li t2, 0x30000
    amoor.w.aqrl t1, t2, (s0)
    CHECK_EQ 16, t1, 0xf008
    lw t1, 0(s0)
    CHECK_EQ 17, t1, 0x3f008
    li t2, -1
    amomin.w t1, t2, (s0)    # signed: -1 < 0x3f008
    CHECK_EQ 18, t1, 0x3f008
    lw t1, 0(s0)
    CHECK_EQ 19, t1, -1
    li t2, 7
    amomax.w t1, t2, (s0)
    CHECK_EQ 20, t1, -1
    lw t1, 0(s0)
    CHECK_EQ 21, t1, 7
    li t2, -3
    amominu.w t1, t2, (s0)   # unsigned: 7 < 0xfffffffd
    CHECK_EQ 22, t1, 7
    lw t1, 0(s0)
    CHECK_EQ 23, t1, 7
    amomaxu.w t1, t2, (s0)
    CHECK_EQ 24, t1, 7
    lw t1, 0(s0)
    CHECK_EQ 25, t1, -3
    amoadd.w zero, t2, (s0)  # rd = x0: the store still happens
    lw t1, 0(s0)
    CHECK_EQ 26, t1, -6
    CHECK_EQ 27, zero, 0
TEST_END
    .bss
    .balign 4
word:
    .space 8
