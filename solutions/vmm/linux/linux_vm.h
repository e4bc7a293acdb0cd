// vmm/linux/linux_vm.h — a machine that boots a stock Linux kernel.
//
// Owns: the KVM handles, the guest's RAM with the kernel, initrd, command
// line, zero page, GDT and page tables written into it, the in-kernel
// interrupt controllers and timer, the port and MMIO buses, the serial port,
// the keyboard controller's reset line, and any virtio-mmio devices.
// Composition only, in the order the KVM API needs:
//
//   1. KVM_CREATE_VM, RAM as memory slots
//   2. KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR   (in the hole below 4 GiB)
//   3. KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2           (before any vCPU)
//   4. KVM_CREATE_VCPU, KVM_SET_CPUID2, LINT0/LINT1 (KVM_SET_LAPIC)
//   5. parse the bzImage, load the kernel, initrd, command line, zero page
//   6. GDT, page tables, registers for the 64-bit entry
//
// Guest-physical layout:
//
//   0x00500  GDT (Linux's selectors)        0x00600  TSS
//   0x07000  zero page (boot_params)        0x08ff0  entry stack, growing down
//   0x09000  page tables: the first GiB, identity (and higher half)
//   0x20000  command line
//   pref_address (16 MiB for Debian's kernel), or 1 MiB up: the protected-mode kernel
//   top of RAM below 3 GiB, page aligned, growing down: the initrd
//   0xd0000000 + 0x1000 x i: virtio-mmio device i, IRQ 5 + i
//   0xfffbc000  KVM's identity-map page    0xfffbd000  KVM's TSS (3 pages)
//
// Port I/O: COM1 (0x3f8, IRQ 4) and the 8042's reset (0x60, 0x64) are
// ours; the PICs, the PIT and port 0x61 are KVM's. Linux probes for much
// more legacy hardware than that; as on a PC, a port or address where
// nothing answers reads as all ones and drops writes (counted in Result).
//
// Never: loads anything the boot protocol checks refused, or lets a guest
// access reach memory outside its RAM (every host access is a GuestMemory
// slice). Not thread-safe; run() uses SIGALRM, so one LinuxVm runs at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vmm/bus/io_bus.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/uart_8250.h"
#include "vmm/kvm/exit_loop.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"
#include "vmm/linux/boot_params.h"
#include "vmm/linux/bzimage.h"
#include "vmm/linux/virtio_irq.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/mmio_transport.h"

namespace uh::vmm::boot {

class LinuxVm {
 public:
  static constexpr std::uint64_t kGdt = 0x500;
  static constexpr std::uint64_t kTss = 0x600;
  static constexpr std::uint64_t kZeroPage = 0x7000;
  static constexpr std::uint64_t kStackTop = 0x8ff0;
  static constexpr std::uint64_t kTables = 0x9000;
  static constexpr std::uint64_t kCommandLine = 0x20000;
  static constexpr std::uint64_t kCommandLineRoom = 0x10000;
  static constexpr std::uint64_t kMappedBytes = 1ull << 30;
  static constexpr std::uint64_t kIdentityMapAddress = 0xfffbc000;
  static constexpr std::uint64_t kTssAddress = 0xfffbd000;
  static constexpr std::uint64_t kVirtioMmioBase = 0xd0000000;
  static constexpr std::uint64_t kVirtioMmioStride = 0x1000;
  static constexpr std::uint32_t kFirstVirtioIrq = 5;

  /// A console on the serial port, reboot through the keyboard controller
  /// (the machine has no ACPI to power off with), reboot at once on a panic
  /// (so a guest whose init exits stops the VM instead of spinning), and no
  /// PCI bus to probe.
  static constexpr const char* kDefaultCommandLine = "console=ttyS0 reboot=k panic=-1 pci=off";

  struct Options {
    std::uint64_t ram_size = 256 << 20;
    /// The command line, before the virtio_mmio.device= entries this VMM adds.
    std::string command_line = kDefaultCommandLine;
    /// The initrd's bytes (read during construction only); empty for none.
    std::span<const std::uint8_t> initrd;
    /// Devices to put behind virtio-mmio transports, in order.
    std::vector<std::shared_ptr<virtio::VirtioDevice>> virtio_devices;
    /// Also receives every byte the guest writes to the serial port, live.
    std::function<void(char)> serial_echo;
  };

  /// Builds the machine and loads `bzimage` (read during construction only).
  /// Throws BzImageError or BootParamsError for a kernel or layout the boot
  /// protocol refuses, CommandLineError for a bad command line, SysError
  /// when a KVM call fails.
  LinuxVm(std::span<const std::uint8_t> bzimage, Options options);
  LinuxVm(const LinuxVm&) = delete;
  LinuxVm& operator=(const LinuxVm&) = delete;

  struct Result {
    enum class Stop {
      kReset,     ///< the guest pulsed the reset line (Linux's reboot, reboot=k)
      kShutdown,  ///< KVM_EXIT_SHUTDOWN: a triple fault, Linux's last way to reboot
      kHalted,    ///< KVM_EXIT_HLT (only when HLT is not handled in the kernel)
      kTimedOut,  ///< the time limit passed first
    };
    Stop stop = Stop::kTimedOut;
    ExitStats stats;
    std::uint64_t unclaimed_port_accesses = 0;  ///< to ports with no device
    std::uint64_t unclaimed_mmio_accesses = 0;  ///< to addresses with no device or RAM
  };

  /// Runs the guest until it resets, shuts down or halts, or `timeout`
  /// passes. Throws GuestError (as chapter 01's loop does) when KVM cannot
  /// go on: an internal error, a failed entry, an exit it does not know.
  Result run(std::chrono::milliseconds timeout);

  /// Everything the guest has written to the serial port.
  const std::string& serial_output() const { return uart_->output(); }
  const std::string& command_line() const { return command_line_; }
  const BzImage& image() const { return image_; }
  const BootLayout& layout() const { return layout_; }
  GuestMemory& memory() { return memory_; }
  Vcpu& vcpu() { return vcpu_; }
  Uart8250& uart() { return *uart_; }
  /// The transport of virtio device i, in the order Options listed them.
  virtio::MmioTransport& virtio_transport(std::size_t i) { return virtio_[i]->transport(); }

 private:
  void load(std::span<const std::uint8_t> bzimage, const Options& options);

  Kvm kvm_;
  GuestMemory memory_;
  Vm vm_;
  Vcpu vcpu_;
  IoBus ports_{"port I/O bus"};
  IoBus mmio_{"MMIO bus"};
  std::shared_ptr<Uart8250> uart_;
  std::shared_ptr<I8042> i8042_;
  std::vector<std::shared_ptr<VirtioIrq>> virtio_;
  BzImage image_;
  BootLayout layout_;
  std::string command_line_;
};

}  // namespace uh::vmm::boot
