/* The guest's first instruction. The VMM has set RSP (a stack in RAM) and
   RDI (which scenario to run); guest_main never returns, but if it did the
   guest would halt. */
  .section .text.start, "ax"
  .global _start
_start:
  call guest_main
1:
  hlt
  jmp 1b

/* Exception entry points for the IDT (scenarios 5 and 6). Each saves the
   registers the System V ABI lets a C++ function clobber, calls the C++
   handler, restores them and returns from the interrupt. */
  .text
  .global int3_entry
int3_entry:
  push %rax
  push %rcx
  push %rdx
  push %rsi
  push %rdi
  push %r8
  push %r9
  push %r10
  push %r11
  call on_breakpoint
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rdi
  pop %rsi
  pop %rdx
  pop %rcx
  pop %rax
  iretq

  .global page_fault_entry
page_fault_entry:
  /* The CPU pushed an error code; the handler never returns. */
  mov (%rsp), %rdi
  mov %cr2, %rsi
  call on_page_fault
2:
  hlt
  jmp 2b

  .section .note.GNU-stack, "", @progbits
