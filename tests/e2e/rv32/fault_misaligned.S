# A misaligned word load with no trap handler.
    .section .text.start, "ax"
    .globl _start
_start:
    li   t0, 0x00001002
    lw   t1, 0(t0)
    j _start
