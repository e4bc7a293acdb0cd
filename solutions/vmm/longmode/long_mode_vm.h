// vmm/longmode/long_mode_vm.h — chapter 02's machine: a 64-bit guest from an ELF file.
//
// Owns: the KVM handles, the guest's RAM, the page tables and GDT written into
// it, the port and MMIO buses and the hypercall handler. Composition only, in
// the order the KVM API needs. Guest-physical layout:
//
//   0x0500   GDT (null, code, data, TSS)        0x0600  TSS
//   0x1000   PML4, PDPT low, PDPT high, PD      identity + higher half, 2 MiB pages
//   ...      stack, growing down from 2 MiB
//   0x200000 the guest's ELF segments (linked at 0xffffffff80200000)
//
// The tables map the first GiB (identity and higher half) whatever the RAM
// size: an access to a mapped address beyond RAM leaves as an MMIO exit,
// which is how a VMM would place devices there. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "vmm/bus/io_bus.h"
#include "vmm/kvm/exit_loop.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"
#include "vmm/loader/elf_loader.h"
#include "vmm/longmode/hypercalls.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/paging/page_tables.h"

namespace uh::vmm {

class LongModeVm {
 public:
  static constexpr std::uint64_t kGdt = 0x500;
  static constexpr std::uint64_t kTss = 0x600;
  static constexpr std::uint64_t kTables = 0x1000;
  static constexpr std::uint64_t kStackTop = 0x200000;
  static constexpr std::uint64_t kMappedBytes = 1ull << 30;

  struct Options {
    std::uint64_t ram_size = 16 << 20;           ///< at guest-physical 0; at least 4 MiB
    std::uint64_t argument = 0;                  ///< passed in RDI (the guest's scenario)
    std::function<void(std::string_view)> echo;  ///< also receives the guest's output
  };

  /// Builds the machine and loads `elf`. Throws ElfError for a bad file,
  /// SysError or GuestMemoryError when a step fails.
  LongModeVm(std::span<const std::uint8_t> elf, Options options);

  struct Result {
    RunOutcome outcome;
    std::optional<std::uint64_t> exit_code;  ///< what the guest passed to exit()
  };
  /// Runs until the guest halts. Throws GuestError like run_until_halt().
  Result run();

  const std::string& output() const { return calls_.output(); }
  GuestMemory& memory() { return memory_; }
  Vcpu& vcpu() { return vcpu_; }
  /// The buses, for devices a later chapter adds (before run()).
  IoBus& ports() { return ports_; }
  IoBus& mmio() { return mmio_; }
  const LoadedElf& loaded() const { return loaded_; }
  std::uint64_t cr3() const { return tables_.pml4.value(); }

 private:
  Kvm kvm_;
  GuestMemory memory_;
  Vm vm_;
  Vcpu vcpu_;
  IoBus ports_{"port I/O bus"};
  IoBus mmio_{"MMIO bus"};
  Hypercalls calls_;
  PageTableLayout tables_;
  LoadedElf loaded_;
};

}  // namespace uh::vmm
