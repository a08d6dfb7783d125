# RV32C: every compressed instruction, written with its c. mnemonic (so the encoding is
# the compressed one), checked for its effect. C.EBREAK is in traps.S.
#include "test.h"
TEST_BEGIN
    .option push
    .option rvc
    la sp, stack_area + 256
    c.li a0, -5
    CHECK_EQ 1, a0, -5
    c.addi a0, 7
    CHECK_EQ 2, a0, 2
    c.nop
    c.lui a1, 0x12
    CHECK_EQ 3, a1, 0x12000
    c.lui a1, 0xfffe1
    CHECK_EQ 4, a1, 0xfffe1000
    c.mv a2, a0
    CHECK_EQ 5, a2, 2
    c.add a2, a0
    CHECK_EQ 6, a2, 4
    li s0, 0xf0f0
    li s1, 0x0ff0
    c.and s0, s1
    CHECK_EQ 7, s0, 0x00f0
    li s0, 0xf0f0
    c.or s0, s1
    CHECK_EQ 8, s0, 0xfff0
    li s0, 0xf0f0
    c.xor s0, s1
    CHECK_EQ 9, s0, 0xff00
    li s0, 10
    c.sub s0, s1
    CHECK_EQ 10, s0, 10 - 0x0ff0
    li s0, -16
    c.srli s0, 28
    CHECK_EQ 11, s0, 0xf
    li s0, -16
    c.srai s0, 2
    CHECK_EQ 12, s0, -4
    li s0, 0x7ff
    c.andi s0, -16
    CHECK_EQ 13, s0, 0x7f0
    li t0, 3
    c.slli t0, 30
    CHECK_EQ 14, t0, 0xc0000000
    # c.addi16sp, c.addi4spn
    mv s1, sp
    c.addi16sp sp, -64
    sub t0, s1, sp
    CHECK_EQ 15, t0, 64
    c.addi4spn a3, sp, 16
    sub t0, a3, sp
    CHECK_EQ 16, t0, 16
    c.addi16sp sp, 64
    # c.sw, c.lw (rs1', rd' in x8..x15), c.swsp, c.lwsp
    la a4, buf
    li a5, 0x1234abcd
    c.sw a5, 4(a4)
    c.lw a3, 4(a4)
    CHECK_EQ 17, a3, 0x1234abcd
    li t1, 0x55aa
    c.swsp t1, 8(sp)
    c.lwsp t2, 8(sp)
    CHECK_EQ 18, t2, 0x55aa
    lw t2, 8(sp)
    CHECK_EQ 19, t2, 0x55aa
    # c.beqz / c.bnez
    li s0, 0
    c.beqz s0, 1f
    j ec_fail
1:  c.bnez s0, ec_fail_near
    li s0, 1
    c.bnez s0, 2f
    j ec_fail
2:  c.beqz s0, ec_fail_near
    # c.j
    li gp, 20
    c.j 3f
    j ec_fail
3:  # c.jal links ra = pc + 2
    li gp, 21
    c.jal 4f
5:  j ec_fail
4:  la t0, 5b
    bne t0, ra, ec_fail_near
    # c.jr
    la t0, 6f
    c.jr t0
    j ec_fail
6:  # c.jalr links ra = pc + 2
    li gp, 22
    la t0, 7f
    c.jalr t0
8:  j ec_fail
7:  la t1, 8b
    bne t1, ra, ec_fail_near
    j 9f
ec_fail_near:
    j ec_fail
9:
    .option pop
TEST_END
    .bss
    .balign 4
buf:
    .space 16
stack_area:
    .space 256
