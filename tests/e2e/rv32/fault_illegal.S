# An illegal instruction with no trap handler (mtvec 0): the run must stop with the cause.
    .section .text.start, "ax"
    .globl _start
_start:
    nop
    .word 0x00000000       # all-zero: an illegal instruction
    j _start
