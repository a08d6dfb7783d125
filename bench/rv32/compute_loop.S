# The ISS benchmark's compute loop (bench/bench_iss.cpp): loads, stores, ALU, multiply
# and branches over a 256-byte buffer, forever; the benchmark stops it with an
# instruction limit. Assembled for rv32imac, so most instructions are compressed.
    .section .text.init
    .globl _start
_start:
    la sp, _stack_top
    li s0, 0
outer:
    la a0, buf
    li a1, 64
inner:
    lw t0, 0(a0)
    add t0, t0, a1
    mul t1, t0, a1
    xor s0, s0, t1
    srli t2, s0, 3
    add s0, s0, t2
    sw t0, 0(a0)
    addi a0, a0, 4
    addi a1, a1, -1
    bnez a1, inner
    j outer

    .bss
    .balign 4
buf:
    .space 256
