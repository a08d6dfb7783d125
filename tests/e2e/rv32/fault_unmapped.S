# A load from an address where nothing is mapped (between the devices and the RAM).
    .section .text.start, "ax"
    .globl _start
_start:
    li   t0, 0x70000000
    lw   t1, 0(t0)
    j _start
