# guest/realmode/hello.s — the chapter 01 guest: print a greeting, then halt.
#
# Runs in 16-bit real mode, loaded at guest-physical 0x1000 with every segment
# base at 0, so a label's address is also its offset. It talks to the outside
# world only through port 0xe9, the debug console.
        .code16
        .text
        .globl _start
_start:
        mov     $message, %si       # SI walks the string
        mov     $0xe9, %dx          # DX holds the console's port
next:
        lodsb                       # AL = *SI++
        test    %al, %al
        jz      done                # the string ends with a zero byte
        out     %al, %dx            # one byte to the console: a KVM_EXIT_IO
        jmp     next
done:
        hlt                         # KVM_EXIT_HLT: the VMM's cue that we are finished

message:
        .asciz  "Hello from real mode!\n"
