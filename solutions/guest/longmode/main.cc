// guest/longmode/main.cc — the workbook's 64-bit guest: one scenario per run.
//
// The VMM passes the scenario's number in RDI (the first argument of
// guest_main under the System V ABI). Each scenario exercises one thing the
// chapter builds: output and exit code through hypercalls, the clock, both
// mappings of the page tables, a write outside RAM, a bad pointer handed to
// the VMM, and (where the host delivers them) exceptions through an IDT.
#include <stdint.h>

#include "scenarios.h"
#include "uh.h"

using namespace uh::guest;

namespace {

// 64 KiB in .bss, which the loader zeroes: touched through two mappings.
alignas(4096) uint8_t buffer[64 * 1024];

// ---------------------------------------------------------------- exceptions

struct [[gnu::packed]] IdtGate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attributes;
  uint16_t offset_middle;
  uint32_t offset_high;
  uint32_t zero;
};

struct [[gnu::packed]] IdtPointer {
  uint16_t limit;
  uint64_t base;
};

alignas(16) IdtGate idt[256];

void set_gate(unsigned vector, void (*handler)()) {
  const uint64_t address = reinterpret_cast<uint64_t>(handler);
  idt[vector] = IdtGate{
      static_cast<uint16_t>(address),       0x08, 0, 0x8e, static_cast<uint16_t>(address >> 16),
      static_cast<uint32_t>(address >> 32), 0};
}

void load_idt() {
  const IdtPointer pointer{sizeof(idt) - 1, reinterpret_cast<uint64_t>(&idt[0])};
  asm volatile("lidt %0" : : "m"(pointer));
}

volatile int breakpoints = 0;

void print_hex(uint64_t value) {
  char text[19] = "0x";
  for (int i = 0; i < 16; ++i) {
    const unsigned digit = (value >> (60 - 4 * i)) & 0xf;
    text[2 + i] = static_cast<char>(digit < 10 ? '0' + digit : 'a' + digit - 10);
  }
  text[18] = '\0';
  write(text);
}

}  // namespace

extern "C" void int3_entry();
extern "C" void page_fault_entry();

extern "C" void on_breakpoint() { breakpoints = breakpoints + 1; }

extern "C" [[noreturn]] void on_page_fault(uint64_t error_code, uint64_t address) {
  write("page fault at ");
  print_hex(address);
  write(", error code ");
  print_hex(error_code);
  write("\n");
  exit(kPageFaultExitCode);
}

// ---------------------------------------------------------------- scenarios

extern "C" [[noreturn]] void guest_main(uint64_t scenario) {
  switch (scenario) {
    case kHello:
      write("Hello from long mode!\n");
      exit(0);
    case kExitCode:
      exit(42);
    case kClock: {
      const uint64_t t1 = time_ns();
      for (int i = 0; i < 100000; ++i) asm volatile("" ::: "memory");  // not optimised away
      const uint64_t t2 = time_ns();
      exit(t1 != 0 && t2 > t1 ? 0 : 1);
    }
    case kTwoMappings: {
      // The same physical byte, reached at its higher-half address (where
      // the linker put `buffer`) and at its identity address.
      const uint64_t high = reinterpret_cast<uint64_t>(&buffer[0]);
      volatile uint8_t* low = reinterpret_cast<volatile uint8_t*>(high - kHigherHalf);
      for (uint64_t i = 0; i < sizeof buffer; i += 4096) buffer[i] = static_cast<uint8_t>(i >> 12);
      for (uint64_t i = 0; i < sizeof buffer; i += 4096) {
        if (low[i] != static_cast<uint8_t>(i >> 12)) exit(1);
      }
      write("both mappings agree\n");
      exit(0);
    }
    case kWriteOutsideRam:
      // Mapped by the page tables (identity, first GiB) but not RAM: the
      // store leaves the guest as an MMIO exit.
      *reinterpret_cast<volatile uint64_t*>(kOutsideRamAddress) = 0x5a5a;
      exit(0);
    case kBadPointer: {
      // A buffer the page tables do not map: the VMM must refuse, not crash.
      const uint32_t r = hypercall(uh::hypercall::kWrite, kUnmappedAddress, 16);
      exit(r == uh::hypercall::kFault ? 0 : 1);
    }
    case kBreakpoint:
      set_gate(3, int3_entry);
      load_idt();
      asm volatile("int3");
      asm volatile("int3");
      write(breakpoints == 2 ? "two breakpoints handled\n" : "breakpoints lost\n");
      exit(breakpoints == 2 ? 0 : 1);
    case kPageFault:
      set_gate(14, page_fault_entry);
      load_idt();
      (void)*reinterpret_cast<volatile uint64_t*>(kUnmappedAddress);
      exit(1);  // not reached: the handler exits
    default:
      write("unknown scenario\n");
      exit(2);
  }
}
