# guest/realmode/copy.s — copies 16 bytes from 0x2000 to 0x3000, then halts.
# The host writes the source bytes before the run and reads the copy after it:
# proof that host and guest see the same memory.
        .code16
        .text
        .globl _start
_start:
        cld
        mov     $0x2000, %si
        mov     $0x3000, %di
        mov     $16, %cx
        rep movsb
        hlt
