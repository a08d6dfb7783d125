# RV32I register-immediate and register-register instructions, LUI, AUIPC, x0.
#include "test.h"
TEST_BEGIN
    li a0, 0x12345678
    li a1, -3
    addi t0, a0, -0x678
    CHECK_EQ 1, t0, 0x12345000
    slti t0, a1, -2
    CHECK_EQ 2, t0, 1
    slti t0, a1, -3
    CHECK_EQ 3, t0, 0
    sltiu t0, a1, -1
    CHECK_EQ 4, t0, 1
    sltiu t0, a0, 5
    CHECK_EQ 5, t0, 0
    xori t0, a0, -1
    CHECK_EQ 6, t0, 0xedcba987
    ori t0, a0, 0x0ff
    CHECK_EQ 7, t0, 0x123456ff
    andi t0, a0, 0x7f0
    CHECK_EQ 8, t0, 0x670
    slli t0, a0, 4
    CHECK_EQ 9, t0, 0x23456780
    srli t0, a1, 28
    CHECK_EQ 10, t0, 0xf
    srai t0, a1, 1
    CHECK_EQ 11, t0, -2
    srai t0, a0, 31
    CHECK_EQ 12, t0, 0
    add t0, a0, a1
    CHECK_EQ 13, t0, 0x12345675
    sub t0, a1, a0
    CHECK_EQ 14, t0, -0x1234567b
    li t1, 33
    sll t0, a0, t1           # shift amount mod 32
    CHECK_EQ 15, t0, 0x2468acf0
    slt t0, a1, a0
    CHECK_EQ 16, t0, 1
    sltu t0, a1, a0
    CHECK_EQ 17, t0, 0
    xor t0, a0, a1
    CHECK_EQ 18, t0, 0xedcba985
    srl t0, a1, t1
    CHECK_EQ 19, t0, 0x7ffffffe
    sra t0, a1, t1
    CHECK_EQ 20, t0, -2
    or t0, a0, a1
    CHECK_EQ 21, t0, -3
    and t0, a0, a1
    CHECK_EQ 22, t0, 0x12345678 & -3
    lui t0, 0xfffff
    CHECK_EQ 23, t0, 0xfffff000
1:  auipc t0, 0x1
    la t1, 1b
    sub t0, t0, t1
    CHECK_EQ 24, t0, 0x1000
    addi x0, x0, 5           # x0 stays zero
    add x0, a0, a0
    lui x0, 0x12345
    CHECK_EQ 25, x0, 0
    addi t0, zero, -2048
    CHECK_EQ 26, t0, -2048
    addi t0, zero, 2047
    CHECK_EQ 27, t0, 2047
TEST_END
