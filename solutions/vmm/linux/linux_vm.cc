#include "vmm/linux/linux_vm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <stdexcept>
#include <variant>

#include "vmm/linux/boot_cpu.h"
#include "vmm/linux/command_line.h"
#include "vmm/paging/page_tables.h"

namespace uh::vmm::boot {

namespace {

constexpr std::size_t kMaxVirtioDevices = 8;  // IRQs 5..12, below the PIC's last line
constexpr std::chrono::milliseconds kTick{10};

GuestMemory ram_of(std::uint64_t size) {
  build_e820_map(size);  // refuses a size no PC could boot from
  GuestMemory memory;
  memory.add_region(GuestAddress(0), low_ram_end(size));
  // RAM that does not fit below the MMIO gap continues at 4 GiB, as on a PC.
  if (size > kMmioGapStart) memory.add_region(GuestAddress(k4GiB), size - kMmioGapStart);
  return memory;
}

// Steps 1 to 3 of the header: everything KVM wants before the first vCPU.
Vm machine_of(const Kvm& kvm, const GuestMemory& memory) {
  Vm vm = kvm.create_vm();
  vm.map_memory(memory);
  vm.set_tss_address(LinuxVm::kTssAddress);
  vm.set_identity_map_address(LinuxVm::kIdentityMapAddress);
  vm.create_irqchip();
  vm.create_pit2();
  return vm;
}

void ignore_signal(int) {}

// A SIGALRM every `period` while it lives, so that KVM_RUN returns EINTR
// regularly and run() can look at the clock even when the guest never exits.
// A one-shot alarm could fire while the VMM is outside KVM_RUN and be lost.
// Restores the previous handler and timer when it goes.
class AlarmTicker {
 public:
  explicit AlarmTicker(std::chrono::milliseconds period) {
    struct sigaction action {};
    action.sa_handler = ignore_signal;
    action.sa_flags = SA_RESTART;  // other calls resume; KVM_RUN still returns EINTR
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGALRM, &action, &previous_action_);
    itimerval timer{};
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(period).count();
    timer.it_interval.tv_sec = timer.it_value.tv_sec = us / 1000000;
    timer.it_interval.tv_usec = timer.it_value.tv_usec = us % 1000000;
    ::setitimer(ITIMER_REAL, &timer, &previous_timer_);
  }
  ~AlarmTicker() {
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    ::sigaction(SIGALRM, &previous_action_, nullptr);
    ::setitimer(ITIMER_REAL, &previous_timer_, nullptr);
  }
  AlarmTicker(const AlarmTicker&) = delete;
  AlarmTicker& operator=(const AlarmTicker&) = delete;

 private:
  struct sigaction previous_action_ {};
  itimerval previous_timer_{};
};

}  // namespace

LinuxVm::LinuxVm(std::span<const std::uint8_t> bzimage, Options options)
    : memory_(ram_of(options.ram_size)), vm_(machine_of(kvm_, memory_)), vcpu_(vm_.create_vcpu(0)) {
  // Step 4: the CPU as a PC's firmware would leave it.
  std::vector<kvm_cpuid_entry2> cpuid = kvm_.supported_cpuid();
  adjust_cpuid(cpuid, vcpu_.id());
  vcpu_.set_cpuid(cpuid);
  kvm_lapic_state lapic = vcpu_.lapic();
  set_virtual_wire(lapic);
  vcpu_.set_lapic(lapic);

  // The devices. Their interrupt lines go to the in-kernel PIC and I/O APIC.
  uart_ = std::make_shared<Uart8250>(std::move(options.serial_echo), [this](bool level) {
    vm_.set_irq_line(Uart8250::kCom1Irq, level);
  });
  ports_.insert(BusRange{Uart8250::kCom1Port, Uart8250::kRegisterCount}, uart_);
  i8042_ = std::make_shared<I8042>();
  ports_.insert(BusRange{I8042::kBasePort, I8042::kSize}, i8042_);
  if (options.virtio_devices.size() > kMaxVirtioDevices) {
    throw std::invalid_argument(fmt::format("{} virtio devices: this machine has IRQs for {}",
                                            options.virtio_devices.size(), kMaxVirtioDevices));
  }
  for (std::size_t i = 0; i < options.virtio_devices.size(); ++i) {
    const std::uint64_t base = kVirtioMmioBase + i * kVirtioMmioStride;
    const std::uint32_t irq = kFirstVirtioIrq + static_cast<std::uint32_t>(i);
    auto transport = std::make_shared<virtio::MmioTransport>(memory_, options.virtio_devices[i]);
    auto device = std::make_shared<VirtioIrq>(
        std::move(transport), [this, irq](bool level) { vm_.set_irq_line(irq, level); });
    mmio_.insert(BusRange{base, virtio::MmioTransport::kWindowSize}, device);
    virtio_.push_back(std::move(device));
  }
  load(bzimage, options);
}

void LinuxVm::load(std::span<const std::uint8_t> bzimage, const Options& options) {
  // Step 5: the kernel where it wants to be (inside the identity map the
  // protocol asks for), the command line, the initrd as high as it may go.
  image_ = parse_bzimage(bzimage);
  const std::uint64_t ram_end = low_ram_end(options.ram_size);
  const GuestAddress kernel = choose_kernel_address(image_, std::min(ram_end, kMappedBytes));
  memory_.write(kernel, protected_mode_kernel(image_, bzimage));
  layout_.kernel = kernel;

  KernelCommandLine line(options.command_line);
  for (std::size_t i = 0; i < virtio_.size(); ++i) {
    line.add_virtio_mmio(virtio::MmioTransport::kWindowSize,
                         GuestAddress(kVirtioMmioBase + i * kVirtioMmioStride),
                         kFirstVirtioIrq + static_cast<std::uint32_t>(i));
  }
  const std::vector<std::uint8_t> bytes = line.bytes(static_cast<std::uint32_t>(
      std::min<std::uint64_t>(image_.cmdline_size, kCommandLineRoom - 1)));
  memory_.write(GuestAddress(kCommandLine), bytes);
  layout_.command_line = GuestAddress(kCommandLine);
  layout_.command_line_length = static_cast<std::uint32_t>(bytes.size() - 1);
  command_line_ = line.str();

  if (!options.initrd.empty()) {
    const GuestAddress initrd =
        place_initrd(image_, options.initrd.size(), kernel.value() + image_.init_size, ram_end);
    memory_.write(initrd, options.initrd);
    layout_.initrd = initrd;
    layout_.initrd_size = static_cast<std::uint32_t>(options.initrd.size());  // < 4 GiB: placed
  }
  layout_.memory_map = build_e820_map(options.ram_size);
  memory_.write_obj(GuestAddress(kZeroPage), build_boot_params(image_, layout_));

  // Step 6: page tables, GDT and registers for the 64-bit entry point.
  const PageTableLayout tables =
      build_identity_and_higher_half(memory_, GuestAddress(kTables), kMappedBytes);
  kvm_sregs sregs = vcpu_.sregs();
  kvm_regs regs = vcpu_.regs();
  LinuxEntry entry;
  entry.gdt = GuestAddress(kGdt);
  entry.tss = GuestAddress(kTss);
  entry.cr3 = tables.pml4.value();
  entry.rip = kernel.value() + kEntry64Offset;
  entry.rsp = kStackTop;
  entry.zero_page = GuestAddress(kZeroPage);
  setup_linux_entry(memory_, entry, sregs, regs);
  vcpu_.set_sregs(sregs);
  vcpu_.set_regs(regs);
}

LinuxVm::Result LinuxVm::run(std::chrono::milliseconds timeout) {
  Result result;
  ExitStats& stats = result.stats;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  AlarmTicker ticker(kTick);
  for (;;) {
    if (i8042_->reset_requested()) {
      result.stop = Result::Stop::kReset;
      return result;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      result.stop = Result::Stop::kTimedOut;
      return result;
    }
    VcpuExit exit = vcpu_.run();
    ++stats.total;
    if (auto* io = std::get_if<IoExit>(&exit)) {
      const bool out = io->direction == IoExit::Direction::kOut;
      ++(out ? stats.io_out : stats.io_in);
      for (std::uint32_t i = 0; i < io->count; ++i) {
        std::span<std::uint8_t> item = io->data.subspan(std::size_t{i} * io->size, io->size);
        if (out ? ports_.write(io->port, item) : ports_.read(io->port, item)) continue;
        // Nothing on this port: on a PC the bus floats high.
        ++result.unclaimed_port_accesses;
        if (!out) std::fill(item.begin(), item.end(), 0xff);
      }
    } else if (auto* access = std::get_if<MmioExit>(&exit)) {
      ++(access->is_write ? stats.mmio_write : stats.mmio_read);
      const bool handled = access->is_write ? mmio_.write(access->address, access->data)
                                            : mmio_.read(access->address, access->data);
      if (!handled) {
        ++result.unclaimed_mmio_accesses;
        if (!access->is_write) std::fill(access->data.begin(), access->data.end(), 0xff);
      }
    } else if (std::holds_alternative<InterruptedExit>(exit)) {
      ++stats.interrupted;
    } else if (std::holds_alternative<HltExit>(exit)) {
      result.stop = Result::Stop::kHalted;
      return result;
    } else if (std::holds_alternative<ShutdownExit>(exit)) {
      result.stop = Result::Stop::kShutdown;
      return result;
    } else if (auto* internal = std::get_if<InternalErrorExit>(&exit)) {
      throw GuestError(GuestError::Kind::kInternalError,
                       fmt::format("KVM could not continue the Linux guest "
                                   "(KVM_EXIT_INTERNAL_ERROR, suberror {}, data [{:#x}]) at rip "
                                   "{:#x}",
                                   internal->suberror, fmt::join(internal->data, ", "),
                                   vcpu_.instruction_pointer()));
    } else if (auto* failed = std::get_if<FailEntryExit>(&exit)) {
      throw GuestError(GuestError::Kind::kFailedEntry,
                       fmt::format("the CPU refused to enter the Linux guest "
                                   "(KVM_EXIT_FAIL_ENTRY, hardware reason {:#x}) at rip {:#x}",
                                   failed->reason, vcpu_.instruction_pointer()));
    } else {
      throw GuestError(GuestError::Kind::kUnknownExit,
                       fmt::format("unexpected {} from the Linux guest at rip {:#x}",
                                   exit_name(exit), vcpu_.instruction_pointer()));
    }
  }
}

}  // namespace uh::vmm::boot
