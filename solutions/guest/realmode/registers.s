# guest/realmode/registers.s — leaves known values in registers, then halts.
# The test reads them back with KVM_GET_REGS to see that the guest really ran.
        .code16
        .text
        .globl _start
_start:
        mov     $0xbeef, %ax
        add     $1, %ax             # 0xbef0: computed, not just loaded
        mov     %ax, %bx
        mov     $0x1234, %cx
        hlt
