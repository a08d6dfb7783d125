# Traps: ECALL, EBREAK, C.EBREAK, illegal instructions (32-bit, 16-bit, unknown CSR, writes
# to read-only CSRs), misaligned loads/stores/AMOs, access faults, mepc/mcause/mtval, mret
# and mstatus.MIE/MPIE, mtvec direct and vectored (exceptions go to the base), FENCE.I
# after a store into code.
#include "test.h"
TEST_BEGIN
    la t0, handler
    csrw mtvec, t0
    li s8, 0
    la s0, buf
t_ecall:
    ecall
    CHECK_EQ 1, s9, 11
    la t0, t_ecall
    CHECK_EQ 2, s11, 0
    bne s10, t0, fail_mepc
    .option push
    .option norvc
t_ebreak:
    ebreak                   # the 32-bit form (the assembler would compress it)
    .option pop
    CHECK_EQ 3, s9, 3
    la t0, t_ebreak
    bne s10, t0, fail_mepc
    .option push
    .option rvc
t_cebreak:
    c.ebreak
    .option pop
    CHECK_EQ 4, s9, 3
    la t0, t_cebreak
    bne s10, t0, fail_mepc
t_ill32:
    .word 0xffffffff
    CHECK_EQ 5, s9, 2
    CHECK_EQ 6, s11, 0xffffffff
    la t0, t_ill32
    bne s10, t0, fail_mepc
t_ill16:
    .half 0x0000
    CHECK_EQ 7, s9, 2
    CHECK_EQ 8, s11, 0
    la t0, t_ill16
    bne s10, t0, fail_mepc
    li s9, 0
t_csr_unknown:
    csrr t1, 0x7c0
    CHECK_EQ 9, s9, 2
    CHECK_EQ 90, s11, 0x7c002373  # mtval: the instruction (csrrs t1, 0x7c0, zero)
    li s9, 0
    csrw mhartid, t1         # read-only
    CHECK_EQ 10, s9, 2
    li s9, 0
    csrrwi t1, cycle, 0      # read-only, even writing 0
    CHECK_EQ 11, s9, 2
    li s9, 0
    csrrs t1, cycle, zero    # a read: no trap
    CHECK_EQ 12, s9, 0
    csrrsi t1, instret, 0
    CHECK_EQ 13, s9, 0
    # misaligned
    lw t1, 1(s0)
    CHECK_EQ 14, s9, 4
    addi t2, s0, 1
    bne s11, t2, fail_tval
    lh t1, 3(s0)
    CHECK_EQ 15, s9, 4
    lhu t1, 2(s0)            # aligned
    sw t1, 2(s0)
    CHECK_EQ 16, s9, 6
    addi t2, s0, 2
    bne s11, t2, fail_tval
    sh t1, 1(s0)
    CHECK_EQ 17, s9, 6
    addi t2, s0, 2
    amoadd.w t1, t1, (t2)
    CHECK_EQ 18, s9, 6
    lr.w t1, (t2)
    CHECK_EQ 19, s9, 4
    sc.w t1, t1, (t2)
    CHECK_EQ 20, s9, 6
    # access faults (nothing at 0x10000000)
    li t2, 0x10000000
    lw t1, 0(t2)
    CHECK_EQ 21, s9, 5
    CHECK_EQ 22, s11, 0x10000000
    sb t1, 3(t2)
    CHECK_EQ 23, s9, 7
    CHECK_EQ 24, s11, 0x10000003
    amoswap.w t1, t1, (t2)
    CHECK_EQ 25, s9, 7
    CHECK_EQ 26, s8, 18      # traps so far
    # mret: MIE <- MPIE, MPIE <- 1; a trap: MPIE <- MIE, MIE <- 0 (mie = 0: no interrupt)
    csrw mie, zero
    li t0, 0x80
    csrw mstatus, t0         # MPIE = 1, MIE = 0
    la t0, 1f
    csrw mepc, t0
    mret
    j ec_fail
1:  csrr t1, mstatus
    CHECK_EQ 27, t1, 0x1888
    ecall                    # in the handler MIE = 0, MPIE = 1; mret restores MIE = 1
    csrr t1, mstatus
    CHECK_EQ 28, t1, 0x1888
    csrw mstatus, zero
    ecall
    csrr t1, mstatus
    CHECK_EQ 29, t1, 0x1880
    # vectored mode: exceptions still go to the base
    la t0, handler
    ori t0, t0, 1
    csrw mtvec, t0
    li s9, 0
    ecall
    CHECK_EQ 30, s9, 11
    la t0, handler
    csrw mtvec, t0
    # FENCE.I after overwriting an instruction that already ran
    li a0, 0
    li s1, 2
    .balign 4                # the patching store must be aligned
2:
    .option push
    .option norvc
patch:
    addi a0, a0, 1
    .option pop
    la t0, patch
    li t1, 0x06450513        # addi a0, a0, 100
    sw t1, 0(t0)
    fence.i
    addi s1, s1, -1
    bnez s1, 2b
    CHECK_EQ 31, a0, 101
TEST_END
fail_mepc:
    li gp, 100
    j ec_fail
fail_tval:
    li gp, 101
    j ec_fail

SKIP_HANDLER handler

    .bss
    .balign 4
buf:
    .space 16
