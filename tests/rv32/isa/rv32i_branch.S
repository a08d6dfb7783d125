# RV32I control transfer: BEQ BNE BLT BGE BLTU BGEU (taken and not), JAL, JALR.
#include "test.h"
TEST_BEGIN
    li a0, -1
    li a1, 1
    li s0, 0
    beq a0, a0, 1f
    j fail_branch
1:  beq a0, a1, fail_branch
    bne a0, a1, 2f
    j fail_branch
2:  bne a1, a1, fail_branch
    blt a0, a1, 3f
    j fail_branch
3:  blt a1, a0, fail_branch
    blt a1, a1, fail_branch
    bge a1, a0, 4f
    j fail_branch
4:  bge a1, a1, 5f
    j fail_branch
5:  bge a0, a1, fail_branch
    bltu a1, a0, 6f
    j fail_branch
6:  bltu a0, a1, fail_branch
    bltu a1, a1, fail_branch
    bgeu a0, a1, 7f
    j fail_branch
7:  bgeu a1, a1, 8f
    j fail_branch
8:  bgeu a1, a0, fail_branch
    # backward branch loop
    li t0, 5
9:  addi s0, s0, 1
    addi t0, t0, -1
    bnez t0, 9b
    CHECK_EQ 2, s0, 5
    # JAL links pc+4
    jal ra, 10f
11: j fail_branch
10: la t1, 11b
    sub t2, ra, t1
    CHECK_EQ 3, t2, 0
    # JALR: target (rs1 + imm) & ~1, link in rd; rd == rs1 works
    la t0, 13f
    addi t0, t0, -3          # odd: bit 0 is cleared after adding 4
    jalr t2, 4(t0)
17: j fail_branch
13: la t1, 17b
    sub t1, t2, t1
    CHECK_EQ 5, t1, 0
    la t0, 14f
    jalr t0, 0(t0)
15: j fail_branch
14: la t1, 15b
    sub t1, t0, t1
    CHECK_EQ 6, t1, 0
    jal zero, 16f
    j fail_branch
16:
TEST_END
fail_branch:
    li gp, 1
    j ec_fail
