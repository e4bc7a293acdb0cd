# guest/realmode/unknown_port.s — writes to port 0x99, where no device sits.
        .code16
        .text
        .globl _start
_start:
        mov     $0x41, %al
        out     %al, $0x99
        hlt
