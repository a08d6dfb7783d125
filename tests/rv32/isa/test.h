/* Shared macros of the self-checking RV32 ISA tests (tests/rv32/isa/\*.S).
 * A test starts with TEST_BEGIN, checks with CHECK_EQ n, reg, value (n > 0 is the check's
 * number: on a mismatch the test writes n to the exit device), and ends with TEST_END
 * (writes 0: pass). gp holds the number of the current check; t6 is the macros' scratch.
 * The addresses are those of firmware/rv32/rv32_soc.h (whose u-suffixed constants the
 * assembler cannot read) and of the testbench's interrupt trigger (tests/sc/rv32_system.h). */
#define EXIT_BASE 0x60020000
#define CONSOLE_BASE 0x60010000
#define CLINT_MSIP 0x60000000
#define CLINT_MTIMECMP 0x60004000
#define CLINT_MTIME 0x6000BFF8
#define TRIGGER_BASE 0x60030000 /* sw N, 0: irq_external rises N ns later; sw x, 4: falls */
#define RAM_BASE 0x80000000

.macro TEST_BEGIN
    .section .text.init
    .globl _start
_start:
    la sp, _stack_top
    li gp, 0
    csrw mtvec, zero
.endm

.macro TEST_END
    li a0, 0
    j ec_exit
ec_fail:
    mv a0, gp
ec_exit:
    li t6, EXIT_BASE
    sw a0, 0(t6)
ec_hang:
    j ec_hang
.endm

.macro CHECK_EQ n, reg, val
    li gp, \n
    li t6, \val
    beq \reg, t6, .Lok\@
    j ec_fail
.Lok\@:
.endm

/* A trap handler for the trap tests: records mcause in s9, mepc in s10, mtval in s11,
 * counts traps in s8, and returns past the trapping instruction (2 or 4 bytes long).
 * Clobbers t3, t4, t5. */
.macro SKIP_HANDLER name
    .balign 64
\name:
    csrr s9, mcause
    csrr s10, mepc
    csrr s11, mtval
    addi s8, s8, 1
    lhu t5, 0(s10)
    andi t5, t5, 3
    addi t4, zero, 3
    addi t3, s10, 2
    bne t5, t4, .Lshort\@
    addi t3, t3, 2
.Lshort\@:
    csrw mepc, t3
    mret
.endm
