# Interrupts: the machine timer (CLINT mtimecmp), software (CLINT msip) and external
# (irq_external, raised by the testbench's trigger) interrupts; WFI wake-up with and
# without mstatus.MIE; priority MEI > MSI > MTI when all three are pending; vectored mtvec.
#include "test.h"
TEST_BEGIN
    la t0, isr
    csrw mtvec, t0
    li s8, 0                 # interrupts taken
    la s7, order             # the handler appends each mcause here
    # --- timer, spinning
    call timer_in_50
    li t0, 0x80
    csrw mie, t0
    csrsi mstatus, 8
    li t1, 100000
1:  bnez s8, 2f
    addi t1, t1, -1
    bnez t1, 1b
    j ec_fail
2:  CHECK_EQ 1, s9, 0x80000007
    # --- timer, WFI
    call timer_in_50
    wfi
    CHECK_EQ 2, s8, 2
    CHECK_EQ 3, s9, 0x80000007
    # --- software interrupt: taken right after the store to msip
    li t0, 0x8
    csrw mie, t0
    li t0, CLINT_MSIP
    li t1, 1
    sw t1, 0(t0)
    CHECK_EQ 4, s8, 3
    CHECK_EQ 5, s9, 0x80000003
    # --- external interrupt, WFI
    li t0, 0x800
    csrw mie, t0
    li t0, TRIGGER_BASE
    li t1, 2000              # rises in 2 us
    sw t1, 0(t0)
    wfi
    CHECK_EQ 6, s8, 4
    CHECK_EQ 7, s9, 0x8000000b
    # --- WFI with MIE = 0 wakes without a trap
    csrci mstatus, 8
    li t0, 0x80
    csrw mie, t0
    call timer_in_50
    wfi
    CHECK_EQ 8, s8, 4
    csrr t1, mip
    andi t1, t1, 0x80
    CHECK_EQ 9, t1, 0x80
    call timer_off
    # --- priority: all three pending, then MIE = 1
    li t0, 0x888
    csrw mie, t0
    li t0, CLINT_MTIMECMP
    sw zero, 4(t0)
    sw zero, 0(t0)           # mtimecmp = 0: MTIP now
    li t0, CLINT_MSIP
    li t1, 1
    sw t1, 0(t0)
    li t0, TRIGGER_BASE
    sw zero, 0(t0)           # irq_external rises now
    li t2, 100000
    li t3, 0x888
3:  csrr t1, mip             # wait until the CPU sees the line (next synchronisation)
    and t1, t1, t3
    beq t1, t3, 4f
    addi t2, t2, -1
    bnez t2, 3b
    j ec_fail
4:  la s7, order
    csrsi mstatus, 8
    csrci mstatus, 8
    CHECK_EQ 10, s8, 7
    la t0, order
    lw t1, 0(t0)
    CHECK_EQ 11, t1, 0x8000000b
    lw t1, 4(t0)
    CHECK_EQ 12, t1, 0x80000003
    lw t1, 8(t0)
    CHECK_EQ 13, t1, 0x80000007
    # --- vectored mode: the timer goes to base + 4 * 7
    la t0, vectors
    ori t0, t0, 1
    csrw mtvec, t0
    li t0, 0x80
    csrw mie, t0
    li s6, 0
    call timer_in_50
    csrsi mstatus, 8
    wfi
    CHECK_EQ 14, s6, 7
    CHECK_EQ 15, s9, 0x80000007
    csrci mstatus, 8
TEST_END

# mtimecmp = mtime + 50 (hi first, so no spurious compare on the way)
timer_in_50:
    li t0, CLINT_MTIME
    lw t1, 0(t0)
    lw t2, 4(t0)
    addi t3, t1, 50
    sltu t4, t3, t1
    add t2, t2, t4
    li t0, CLINT_MTIMECMP
    li t4, -1
    sw t4, 4(t0)
    sw t3, 0(t0)
    sw t2, 4(t0)
    ret
timer_off:
    li t0, CLINT_MTIMECMP
    li t4, -1
    sw t4, 4(t0)
    sw t4, 0(t0)
    ret

# The handler: records mcause (s9, and appended at s7), counts (s8), clears the source.
    .balign 64
isr:
    csrr s9, mcause
    sw s9, 0(s7)
    addi s7, s7, 4
    addi s8, s8, 1
    andi t5, s9, 0xff
    li t4, 7
    bne t5, t4, 1f
    li t5, CLINT_MTIMECMP    # timer: compare never
    li t4, -1
    sw t4, 4(t5)
    sw t4, 0(t5)
    mret
1:  li t4, 3
    bne t5, t4, 2f
    li t5, CLINT_MSIP        # software: clear msip
    sw zero, 0(t5)
    mret
2:  li t5, TRIGGER_BASE      # external: lower the line, wait until it is low
    sw zero, 4(t5)
3:  lw t4, 0(t5)
    bnez t4, 3b
    mret

    .balign 64
vectors:                     # mtvec (vectored): slot i at base + 4 * i
    .option push
    .option norvc
    j vec_bad                # 0
    j vec_bad
    j vec_bad
    j vec_msi                # 3
    j vec_bad
    j vec_bad
    j vec_bad
    j vec_mti                # 7
    j vec_bad
    j vec_bad
    j vec_bad
    j vec_mei                # 11
    .option pop
vec_msi:
    li s6, 3
    j isr
vec_mti:
    li s6, 7
    j isr
vec_mei:
    li s6, 11
    j isr
vec_bad:
    li gp, 200
    j ec_fail

    .bss
    .balign 4
order:
    .space 64
