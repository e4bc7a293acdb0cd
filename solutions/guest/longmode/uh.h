// guest/longmode/uh.h — the guest's whole runtime: three hypercalls.
//
// Owns: nothing. Freestanding code has no libc, no kernel, no printf: the
// only way out is the hypercall port (vmm/longmode/hypercall_abi.h).
#pragma once

#include <stdint.h>

#include "vmm/longmode/hypercall_abi.h"

namespace uh::guest {

inline uint32_t hypercall(uint32_t number, uint64_t a0, uint64_t a1) {
  uint32_t result;
  asm volatile("inl %%dx, %%eax"
               : "=a"(result)
               : "a"(number), "D"(a0), "S"(a1), "d"(hypercall::kPort)
               : "memory");
  return result;
}

inline uint64_t length(const char* s) {
  uint64_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

inline uint32_t write(const char* s) {
  return hypercall(hypercall::kWrite, reinterpret_cast<uint64_t>(s), length(s));
}

[[noreturn]] inline void exit(uint64_t code) {
  hypercall(hypercall::kExit, code, 0);
  for (;;) asm volatile("hlt");
}

inline uint64_t time_ns() {
  volatile uint64_t ns = 0;
  hypercall(hypercall::kTime, reinterpret_cast<uint64_t>(&ns), 0);
  return ns;
}

}  // namespace uh::guest
