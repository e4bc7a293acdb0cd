# guest/realmode/mmio_write.s — writes 0x5a to guest-physical 0x20000, past
# the end of the 64 KiB of RAM the test gives it: a KVM_EXIT_MMIO.
        .code16
        .text
        .globl _start
_start:
        mov     $0x2000, %ax
        mov     %ax, %ds            # DS base = 0x2000 * 16 = 0x20000
        movb    $0x5a, (0)
        hlt
