// Chapter 03 — the machine that boots Linux. Pure tests first (the vCPU
// state Linux's 64-bit entry expects, CPUID, the local APIC's wiring, a
// virtio-mmio device's interrupt line); then, with KVM, LinuxVm entering a
// tiny stand-in kernel and laying out the real one; last, where the host can
// run a Linux guest, the real Debian kernel booting to our init.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "host/require.h"
#include "vmm/linux/boot_cpu.h"
#include "vmm/linux/command_line.h"
#include "vmm/linux/guest_kernel.h"
#include "vmm/linux/linux_vm.h"
#include "vmm/linux/virtio_irq.h"
#include "vmm/paging/long_mode.h"
#include "vmm/virtio/console.h"

namespace uh::vmm::boot {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(LinuxEntry, UsesTheBootProtocolsSelectorsAndPassesTheZeroPage) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0), 1 << 20);
  kvm_sregs sregs{};
  kvm_regs regs{};
  LinuxEntry entry;
  entry.gdt = GuestAddress(0x500);
  entry.tss = GuestAddress(0x600);
  entry.cr3 = 0x9000;
  entry.rip = 0x1000200;
  entry.rsp = 0x8ff0;
  entry.zero_page = GuestAddress(0x7000);
  setup_linux_entry(memory, entry, sregs, regs);

  // boot.rst, "64-bit Boot Protocol": __BOOT_CS = 0x10, __BOOT_DS = 0x18.
  EXPECT_EQ(sregs.cs.selector, 0x10);
  EXPECT_EQ(sregs.cs.l, 1);
  for (const kvm_segment* s : {&sregs.ds, &sregs.es, &sregs.ss}) EXPECT_EQ(s->selector, 0x18);
  EXPECT_EQ(sregs.tr.selector, 0x20);
  EXPECT_EQ(sregs.gdt.base, 0x500u);
  EXPECT_EQ(sregs.gdt.limit, 6 * 8 - 1);
  // The GDT in RAM says the same: flat 4 GiB code (L=1) and data at those selectors.
  EXPECT_EQ(memory.read_obj<std::uint64_t>(GuestAddress(0x500 + 0x10)),
            segment_descriptor(0, 0xfffff, 0x9a, 0xa));
  EXPECT_EQ(memory.read_obj<std::uint64_t>(GuestAddress(0x500 + 0x18)),
            segment_descriptor(0, 0xfffff, 0x92, 0xc));
  EXPECT_EQ(memory.read_obj<std::uint64_t>(GuestAddress(0x500 + 0x08)), 0u);
  // Long mode with paging, interrupts off, RSI = the zero page.
  EXPECT_TRUE(sregs.efer & kEferLma);
  EXPECT_TRUE(sregs.cr0 & kCr0Pg);
  EXPECT_EQ(sregs.cr3, 0x9000u);
  EXPECT_EQ(regs.rip, 0x1000200u);
  EXPECT_EQ(regs.rsi, 0x7000u);
  EXPECT_EQ(regs.rsp, 0x8ff0u);
  EXPECT_EQ(regs.rflags & (1u << 9), 0u) << "IF clear";
}

TEST(Cpuid, AddsTheApicIdAndTheHypervisorBit) {
  std::vector<kvm_cpuid_entry2> entries(3);
  entries[0].function = 1;
  entries[0].ebx = 0xff010800;  // an APIC id of 0xff, CLFLUSH size 8, 1 logical CPU
  entries[0].ecx = 0x1;
  entries[1].function = 0xb;
  entries[1].edx = 7;
  entries[2].function = 0x80000001;
  entries[2].ecx = 0x21;
  adjust_cpuid(entries, 2);
  EXPECT_EQ(entries[0].ebx, 0x02010800u);
  EXPECT_EQ(entries[0].ecx, 0x80000001u);
  EXPECT_EQ(entries[1].edx, 2u);
  EXPECT_EQ(entries[2].ecx, 0x21u) << "other leaves untouched";
}

TEST(Lapic, VirtualWireRoutesThePicToLint0AndNmiToLint1) {
  kvm_lapic_state lapic{};
  const std::uint32_t masked_fixed = 0x00010000;  // reset state: masked, fixed delivery
  std::memcpy(lapic.regs + kApicLvtLint0, &masked_fixed, 4);
  std::memcpy(lapic.regs + kApicLvtLint1, &masked_fixed, 4);
  set_virtual_wire(lapic);
  std::uint32_t lint0, lint1;
  std::memcpy(&lint0, lapic.regs + kApicLvtLint0, 4);
  std::memcpy(&lint1, lapic.regs + kApicLvtLint1, 4);
  EXPECT_EQ(lint0, 0x00010700u) << "ExtINT, mask untouched";
  EXPECT_EQ(lint1, 0x00010400u) << "NMI, mask untouched";
}

TEST(VirtioIrq, TheLineFollowsInterruptStatus) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0), 1 << 20);
  auto transport =
      std::make_shared<virtio::MmioTransport>(memory, std::make_shared<virtio::ConsoleDevice>());
  std::vector<bool> levels;
  VirtioIrq device(transport, [&](bool level) { levels.push_back(level); });
  auto write = [&](std::uint64_t offset, std::uint32_t value) {
    std::uint8_t b[4];
    std::memcpy(b, &value, 4);
    device.write(offset, b);
  };
  auto read = [&](std::uint64_t offset) {
    std::uint8_t b[4];
    device.read(offset, b);
    std::uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
  };
  EXPECT_EQ(read(0x000), 0x74726976u) << "registers pass through";
  EXPECT_TRUE(levels.empty());
  // A queue whose rings lie outside RAM makes the device need a reset, which
  // it signals as a configuration change (VIRTIO 1.2, 2.1.2): the line rises.
  write(0x070, 1 | 2);
  write(0x030, 0);
  write(0x038, 16);
  write(0x080, 0xfff00000);
  write(0x044, 1);
  ASSERT_EQ(read(0x060), 2u);
  EXPECT_TRUE(device.line());
  EXPECT_EQ(levels, std::vector<bool>{true});
  // The driver's handler acknowledges the cause: the line falls.
  write(0x064, 2);
  EXPECT_FALSE(device.line());
  EXPECT_EQ(levels, (std::vector<bool>{true, false}));
}

// ---- With KVM: LinuxVm around a stand-in for the kernel.

// A bzImage whose protected-mode part starts, at the 64-bit entry (+0x200),
// with this code: check type_of_loader in the zero page RSI points at, print
// the command line cmd_line_ptr names on COM1, then reset through the 8042.
//
//   mov dx, 0x3f8 ; cmp byte [rsi+0x210], 0xff ; jne bad
//   mov edi, [rsi+0x228]
//   loop: mov al, [rdi] ; test al, al ; jz done ; out dx, al ; inc rdi ; jmp loop
//   done: mov al, 10 ; out dx, al ; jmp reset
//   bad:  mov al, '!' ; out dx, al
//   reset: mov al, 0xfe ; out 0x64, al ; hlt ; jmp $-1
const std::vector<std::uint8_t> kEchoCommandLine = {
    0x66, 0xba, 0xf8, 0x03, 0x80, 0xbe, 0x10, 0x02, 0x00, 0x00, 0xff, 0x75, 0x17, 0x8b, 0xbe, 0x28,
    0x02, 0x00, 0x00, 0x8a, 0x07, 0x84, 0xc0, 0x74, 0x06, 0xee, 0x48, 0xff, 0xc7, 0xeb, 0xf4, 0xb0,
    0x0a, 0xee, 0xeb, 0x03, 0xb0, 0x21, 0xee, 0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0xeb, 0xfd};
// cli ; hlt ; jmp $-1: sleeps for good (with an in-kernel irqchip, inside KVM).
const std::vector<std::uint8_t> kSleepForever = {0xfa, 0xf4, 0xeb, 0xfd};

std::vector<std::uint8_t> stand_in_kernel(const std::vector<std::uint8_t>& entry64) {
  constexpr std::uint64_t kSetup = 5 * 512, kKernel = 0x1000;
  std::vector<std::uint8_t> file(kSetup + kKernel, 0);
  auto put = [&](std::uint64_t at, auto value) {
    std::memcpy(file.data() + at, &value, sizeof value);
  };
  put(0x1f1, std::uint8_t{4});
  put(0x1f4, std::uint32_t{kKernel / 16});
  put(0x1fe, std::uint16_t{0xaa55});
  put(0x200, std::uint16_t{0x6aeb});
  std::memcpy(file.data() + 0x202, "HdrS", 4);
  put(0x206, std::uint16_t{0x020f});
  put(0x211, std::uint8_t{LOADED_HIGH});
  put(0x22c, std::uint32_t{0x7fffffff});
  put(0x230, std::uint32_t{0x200000});
  put(0x234, std::uint8_t{1});
  put(0x236, std::uint16_t{XLF_KERNEL_64});
  put(0x238, std::uint32_t{2047});
  put(0x258, std::uint64_t{0x1000000});
  put(0x260, std::uint32_t{0x100000});
  std::memcpy(file.data() + kSetup + kEntry64Offset, entry64.data(), entry64.size());
  return file;
}

TEST(LinuxVm, EntersAtTheEntryPointWithTheZeroPageInRsi) {
  UH_REQUIRE(::uh::host::Capability::kKvm);
  const std::vector<std::uint8_t> kernel = stand_in_kernel(kEchoCommandLine);
  LinuxVm::Options options;
  options.ram_size = 64 << 20;
  std::string echoed;
  options.serial_echo = [&](char c) { echoed.push_back(c); };
  LinuxVm vm(kernel, options);

  const LinuxVm::Result result = vm.run(10s);
  EXPECT_EQ(result.stop, LinuxVm::Result::Stop::kReset) << "serial: " << vm.serial_output();
  EXPECT_EQ(vm.serial_output(), std::string(LinuxVm::kDefaultCommandLine) + "\n");
  EXPECT_EQ(echoed, vm.serial_output());
  EXPECT_EQ(result.unclaimed_port_accesses, 0u);
}

TEST(LinuxVm, NamesEachVirtioDeviceOnTheCommandLine) {
  UH_REQUIRE(::uh::host::Capability::kKvm);
  const std::vector<std::uint8_t> kernel = stand_in_kernel(kEchoCommandLine);
  LinuxVm::Options options;
  options.ram_size = 64 << 20;
  options.command_line = "console=ttyS0";
  options.virtio_devices = {std::make_shared<virtio::ConsoleDevice>(),
                            std::make_shared<virtio::ConsoleDevice>()};
  LinuxVm vm(kernel, options);
  const std::string expected =
      "console=ttyS0 virtio_mmio.device=0x200@0xd0000000:5 virtio_mmio.device=0x200@0xd0001000:6";
  EXPECT_EQ(vm.command_line(), expected);
  EXPECT_EQ(vm.run(10s).stop, LinuxVm::Result::Stop::kReset);
  EXPECT_EQ(vm.serial_output(), expected + "\n");
  EXPECT_EQ(vm.virtio_transport(1).status(), 0u) << "the stand-in never touched the devices";
}

TEST(LinuxVm, ATimeLimitStopsAGuestThatNeverExits) {
  UH_REQUIRE(::uh::host::Capability::kKvm);
  LinuxVm::Options options;
  options.ram_size = 64 << 20;
  LinuxVm vm(stand_in_kernel(kSleepForever), options);
  const auto start = std::chrono::steady_clock::now();
  const LinuxVm::Result result = vm.run(300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.stop, LinuxVm::Result::Stop::kTimedOut);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
}

TEST(LinuxVm, RefusesAKernelTheProtocolRefuses) {
  UH_REQUIRE(::uh::host::Capability::kKvm);
  std::vector<std::uint8_t> kernel = stand_in_kernel(kSleepForever);
  kernel[0x236] = 0;  // no XLF_KERNEL_64
  LinuxVm::Options options;
  options.ram_size = 64 << 20;
  EXPECT_THROW(LinuxVm(kernel, options), BzImageError);
  options.command_line = std::string(3000, 'x');
  EXPECT_THROW(LinuxVm(stand_in_kernel(kSleepForever), options), CommandLineError);
}

// ---- The real kernel and initramfs from vendor-kernels/.

std::vector<std::uint8_t> fetched(const std::filesystem::path& path, const char* script) {
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << " is missing: run vendor-kernels/" << script
                  << " (ci/install-deps runs it)";
    return {};
  }
  return read_file(path);
}

TEST(LinuxVm, LaysOutTheRealKernelAsTheProtocolSays) {
  UH_REQUIRE(::uh::host::Capability::kKvm);
  const std::vector<std::uint8_t> kernel = fetched(guest_kernel_image(), "fetch-kernel");
  const std::vector<std::uint8_t> initrd = fetched(guest_initramfs(), "build-initramfs");
  if (kernel.empty() || initrd.empty()) return;
  LinuxVm::Options options;
  options.initrd = initrd;
  LinuxVm vm(kernel, options);
  const GuestMemory& memory = vm.memory();
  const BzImage& image = vm.image();

  // The zero page in guest RAM is the one build_boot_params makes.
  const boot_params expected = build_boot_params(image, vm.layout());
  const boot_params in_ram = memory.read_obj<boot_params>(GuestAddress(LinuxVm::kZeroPage));
  EXPECT_EQ(std::memcmp(&expected, &in_ram, sizeof expected), 0);
  // The kernel, initrd and command line are where it says.
  const GuestAddress load(in_ram.hdr.code32_start);
  const auto protected_mode = protected_mode_kernel(image, kernel);
  ASSERT_EQ(std::memcmp(memory.slice(load, protected_mode.size()).data(), protected_mode.data(),
                        protected_mode.size()),
            0);
  ASSERT_EQ(in_ram.hdr.ramdisk_size, initrd.size());
  EXPECT_EQ(std::memcmp(memory.slice(GuestAddress(in_ram.hdr.ramdisk_image), initrd.size()).data(),
                        initrd.data(), initrd.size()),
            0);
  const auto line =
      memory.slice(GuestAddress(in_ram.hdr.cmd_line_ptr), vm.command_line().size() + 1);
  EXPECT_EQ(std::string(line.begin(), line.end() - 1), vm.command_line());
  EXPECT_EQ(line.back(), 0);
  // The vCPU waits at the 64-bit entry point.
  const kvm_regs regs = vm.vcpu().regs();
  EXPECT_EQ(regs.rip, load.value() + 0x200);
  EXPECT_EQ(regs.rsi, LinuxVm::kZeroPage);
  EXPECT_EQ(vm.vcpu().sregs().cs.selector, 0x10);
}

TEST(LinuxVm, BootsTheDebianKernelToOurInit) {
  UH_REQUIRE(::uh::host::Capability::kLinuxGuest);
  const std::vector<std::uint8_t> kernel = fetched(guest_kernel_image(), "fetch-kernel");
  const std::vector<std::uint8_t> initrd = fetched(guest_initramfs(), "build-initramfs");
  if (kernel.empty() || initrd.empty()) return;
  LinuxVm::Options options;
  options.initrd = initrd;
  LinuxVm vm(kernel, options);
  LinuxVm::Result result;
  try {
    result = vm.run(40s);
  } catch (const GuestError& e) {
    FAIL() << e.what() << "\nserial console so far:\n" << vm.serial_output();
  }
  EXPECT_THAT(vm.serial_output(), HasSubstr(std::string(kInitLine))) << "serial console:\n"
                                                                     << vm.serial_output();
  // init powers off; without ACPI the kernel panics, and panic=-1 reboot=k resets.
  EXPECT_NE(result.stop, LinuxVm::Result::Stop::kTimedOut) << vm.serial_output();
}

}  // namespace
}  // namespace uh::vmm::boot
