# Start-up for the example: stack at the top of firmware RAM, .bss cleared, main(), its
# return value written to the exit device (0: pass). No trap handler: mtvec stays 0, so
# any exception ends the run with the simulator's report of the cause, pc and address.
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la   gp, __global_pointer$
    .option pop
    la   sp, __stack_top
    la   t0, __bss_start
    la   t1, __bss_end
1:  bgeu t0, t1, 2f
    sw   zero, 0(t0)
    addi t0, t0, 4
    j    1b
2:  call main
    li   t0, 0x60020000          # exit device (firmware/rv32/rv32_soc.h)
    sw   a0, 0(t0)
3:  j    3b                       # not reached: the exit device ends the run
