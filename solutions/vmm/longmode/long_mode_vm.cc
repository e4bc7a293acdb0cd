#include "vmm/longmode/long_mode_vm.h"

#include <stdexcept>

#include "vmm/longmode/hypercall_abi.h"
#include "vmm/paging/long_mode.h"

namespace uh::vmm {

namespace {

GuestMemory ram_of(std::uint64_t size) {
  if (size < (4 << 20))
    throw std::invalid_argument("a long-mode guest needs at least 4 MiB of RAM");
  GuestMemory memory;
  memory.add_region(GuestAddress(0), size);
  return memory;
}

}  // namespace

LongModeVm::LongModeVm(std::span<const std::uint8_t> elf, Options options)
    : memory_(ram_of(options.ram_size)),
      vm_(kvm_.create_vm()),
      vcpu_((vm_.map_memory(memory_), vm_.create_vcpu(0))),
      calls_(memory_, std::move(options.echo)) {
  tables_ = build_identity_and_higher_half(memory_, GuestAddress(kTables), kMappedBytes);
  loaded_ = load_elf(elf, memory_);
  if (loaded_.lowest.value() < kStackTop) {
    throw ElfError("ELF: a segment starts below 2 MiB, where the VMM keeps its tables and stack");
  }
  ports_.insert(BusRange{hypercall::kPort, 4}, std::make_shared<HypercallPort>(vcpu_, calls_));

  kvm_sregs sregs = vcpu_.sregs();
  kvm_regs regs = vcpu_.regs();
  LongModeEntry entry;
  entry.gdt = GuestAddress(kGdt);
  entry.tss = GuestAddress(kTss);
  entry.cr3 = tables_.pml4.value();
  entry.rip = loaded_.entry;
  entry.rsp = kHigherHalfBase + kStackTop;
  entry.rdi = options.argument;
  setup_long_mode(memory_, entry, sregs, regs);
  vcpu_.set_sregs(sregs);
  vcpu_.set_regs(regs);
}

LongModeVm::Result LongModeVm::run() {
  Result r;
  r.outcome = run_until_halt(vcpu_, ports_, mmio_);
  r.exit_code = calls_.exit_code();
  return r;
}

}  // namespace uh::vmm
