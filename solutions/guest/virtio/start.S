/* The virtio guest's first instruction: RSP and RDI were set by the VMM. */
  .section .text.start, "ax"
  .global _start
_start:
  call guest_main
1:
  hlt
  jmp 1b

  .section .note.GNU-stack, "", @progbits
