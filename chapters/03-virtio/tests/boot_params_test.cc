// Chapter 03 — the Linux boot protocol as pure functions: the bzImage's
// setup header, the zero page, the e820 map, the command line and where the
// kernel and initrd go. No KVM. The last tests check the zero page built
// for the real Debian kernel, field by field, against the image's own header.
#include "vmm/linux/boot_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "vmm/linux/bzimage.h"
#include "vmm/linux/command_line.h"
#include "vmm/linux/guest_kernel.h"

namespace uh::vmm::boot {
namespace {

using ::testing::HasSubstr;

template <typename T>
void put(std::vector<std::uint8_t>& file, std::uint64_t offset, T value) {
  std::memcpy(file.data() + offset, &value, sizeof value);
}

template <typename T>
T get(std::span<const std::uint8_t> bytes, std::uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// A small bzImage written field by field at boot.rst's offsets (not through
// struct setup_header, so the test does not share the code's assumptions):
// 4 setup sectors, a 4 KiB "kernel", protocol 2.15, relocatable, 64-bit.
constexpr std::uint64_t kSyntheticKernelSize = 0x1000;
std::vector<std::uint8_t> synthetic_bzimage() {
  std::vector<std::uint8_t> file(5 * 512 + kSyntheticKernelSize, 0);
  put<std::uint8_t>(file, 0x1f1, 4);                           // setup_sects
  put<std::uint32_t>(file, 0x1f4, kSyntheticKernelSize / 16);  // syssize
  put<std::uint16_t>(file, 0x1fa, 0xffff);                     // vid_mode
  put<std::uint16_t>(file, 0x1fe, 0xaa55);                     // boot_flag
  put<std::uint8_t>(file, 0x200, 0xeb);                        // jmp short ...
  put<std::uint8_t>(file, 0x201, 0x6a);                        // ... to 0x26c
  std::memcpy(file.data() + 0x202, "HdrS", 4);                 // header
  put<std::uint16_t>(file, 0x206, 0x020f);                     // version 2.15
  put<std::uint8_t>(file, 0x211, LOADED_HIGH);                 // loadflags
  put<std::uint32_t>(file, 0x214, 0x100000);                   // code32_start
  put<std::uint32_t>(file, 0x22c, 0x7fffffff);                 // initrd_addr_max
  put<std::uint32_t>(file, 0x230, 0x200000);                   // kernel_alignment
  put<std::uint8_t>(file, 0x234, 1);                           // relocatable_kernel
  put<std::uint8_t>(file, 0x235, 21);                          // min_alignment
  put<std::uint16_t>(file, 0x236, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);  // xloadflags
  put<std::uint32_t>(file, 0x238, 2047);                                        // cmdline_size
  put<std::uint64_t>(file, 0x258, 0x1000000);                                   // pref_address
  put<std::uint32_t>(file, 0x260, 0x2000000);                                   // init_size
  for (std::uint64_t i = 0; i < kSyntheticKernelSize; ++i) file[5 * 512 + i] = i * 7 % 251;
  return file;
}

// The same image described by hand instead of parsed, so that the zero-page
// tests below reach build_boot_params() whether or not parse_bzimage() works.
BzImage described_image() {
  const std::vector<std::uint8_t> file = synthetic_bzimage();
  BzImage image;
  std::memcpy(&image.header, file.data() + 0x1f1, 0x26c - 0x1f1);
  image.protocol = 0x020f;
  image.setup_sects = 4;
  image.loadflags = LOADED_HIGH;
  image.xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
  image.relocatable = true;
  image.kernel_alignment = 0x200000;
  image.initrd_addr_max = 0x7fffffff;
  image.cmdline_size = 2047;
  image.init_size = 0x2000000;
  image.pref_address = 0x1000000;
  image.kernel_offset = 5 * 512;
  image.kernel_size = kSyntheticKernelSize;
  return image;
}

std::string refusal(const std::vector<std::uint8_t>& file) {
  try {
    parse_bzimage(file);
  } catch (const BzImageError& e) {
    return e.what();
  }
  return "(accepted)";
}

// One malformed variant: `mutate` changes a good image; the message must name `field`.
void expect_refused(const std::function<void(std::vector<std::uint8_t>&)>& mutate,
                    const std::string& field) {
  std::vector<std::uint8_t> file = synthetic_bzimage();
  mutate(file);
  EXPECT_THAT(refusal(file), HasSubstr(field));
}

TEST(BzImage, ParsesTheSetupHeader) {
  const std::vector<std::uint8_t> file = synthetic_bzimage();
  const BzImage image = parse_bzimage(file);
  EXPECT_EQ(image.protocol, 0x020f);
  EXPECT_EQ(image.setup_sects, 4u);
  EXPECT_EQ(image.kernel_offset, 5u * 512);
  EXPECT_EQ(image.kernel_size, kSyntheticKernelSize);
  EXPECT_EQ(image.loadflags, LOADED_HIGH);
  EXPECT_TRUE(image.xloadflags & XLF_KERNEL_64);
  EXPECT_TRUE(image.relocatable);
  EXPECT_EQ(image.kernel_alignment, 0x200000u);
  EXPECT_EQ(image.initrd_addr_max, 0x7fffffffu);
  EXPECT_EQ(image.cmdline_size, 2047u);
  EXPECT_EQ(image.init_size, 0x2000000u);
  EXPECT_EQ(image.pref_address, 0x1000000u);
  // The header is the file's bytes from 0x1f1 to its end at 0x26c.
  EXPECT_EQ(std::memcmp(&image.header, file.data() + 0x1f1, 0x26c - 0x1f1), 0);
  const auto kernel = protected_mode_kernel(image, file);
  ASSERT_EQ(kernel.size(), kSyntheticKernelSize);
  EXPECT_EQ(kernel.data(), file.data() + 5 * 512);
}

TEST(BzImage, SetupSectsZeroMeansFour) {
  std::vector<std::uint8_t> file = synthetic_bzimage();
  put<std::uint8_t>(file, 0x1f1, 0);
  EXPECT_EQ(parse_bzimage(file).kernel_offset, 5u * 512);
}

TEST(BzImage, TheKernelEndsAtSyssizeNotAtTheEndOfTheFile) {
  // Distribution kernels carry a Secure Boot signature after the kernel.
  std::vector<std::uint8_t> file = synthetic_bzimage();
  file.resize(file.size() + 1472, 0x5a);
  EXPECT_EQ(parse_bzimage(file).kernel_size, kSyntheticKernelSize);
}

TEST(BzImage, RefusesAFileTooShortForAHeader) {
  EXPECT_THAT(refusal(std::vector<std::uint8_t>(0x100, 0)), HasSubstr("too short"));
  EXPECT_THAT(refusal({}), HasSubstr("too short"));
}

TEST(BzImage, RefusesAWrongBootFlag) {
  expect_refused([](auto& f) { put<std::uint16_t>(f, 0x1fe, 0x55aa); }, "boot_flag");
}

TEST(BzImage, RefusesAWrongMagic) {
  expect_refused([](auto& f) { std::memcpy(f.data() + 0x202, "HdrZ", 4); }, "HdrS");
}

TEST(BzImage, RefusesAProtocolWithoutXloadflags) {
  expect_refused([](auto& f) { put<std::uint16_t>(f, 0x206, 0x020b); }, "boot protocol 2.11");
  expect_refused([](auto& f) { put<std::uint16_t>(f, 0x206, 0x0100); }, "2.12 or later");
}

TEST(BzImage, RefusesAZImage) {
  expect_refused([](auto& f) { put<std::uint8_t>(f, 0x211, 0); }, "LOADED_HIGH");
}

TEST(BzImage, RefusesAKernelWithout64BitEntry) {
  expect_refused([](auto& f) { put<std::uint16_t>(f, 0x236, XLF_CAN_BE_LOADED_ABOVE_4G); },
                 "XLF_KERNEL_64");
}

TEST(BzImage, RefusesAHeaderThatEndsBeforeInitSize) {
  expect_refused([](auto& f) { put<std::uint8_t>(f, 0x201, 0x40); }, "setup header ends");
}

TEST(BzImage, RefusesSetupSectsPastTheFile) {
  expect_refused([](auto& f) { put<std::uint8_t>(f, 0x1f1, 200); }, "setup_sects 200");
  // Exactly the file's length: no byte left for the kernel.
  expect_refused([](auto& f) { f.resize(5 * 512); }, "setup_sects 4");
}

TEST(BzImage, RefusesASyssizePastTheFile) {
  expect_refused([](auto& f) { put<std::uint32_t>(f, 0x1f4, 0x101); }, "syssize 0x101");
  // 0xffffffff paragraphs would be 64 GiB: the product is computed in 64 bits.
  expect_refused([](auto& f) { put<std::uint32_t>(f, 0x1f4, 0xffffffff); }, "syssize 0xffffffff");
  expect_refused([](auto& f) { put<std::uint32_t>(f, 0x1f4, 0); }, "syssize 0x0");
}

TEST(BzImage, RefusesAnInitSizeSmallerThanTheKernel) {
  expect_refused([](auto& f) { put<std::uint32_t>(f, 0x260, 0x800); }, "init_size 0x800");
}

TEST(BzImage, RefusesAnAlignmentThatIsNotAPowerOfTwo) {
  expect_refused([](auto& f) { put<std::uint32_t>(f, 0x230, 0x300000); }, "kernel_alignment");
  expect_refused([](auto& f) { put<std::uint32_t>(f, 0x230, 0); }, "kernel_alignment");
}

TEST(BzImage, RefusesZeroLimits) {
  expect_refused([](auto& f) { put<std::uint32_t>(f, 0x238, 0); }, "cmdline_size");
  expect_refused([](auto& f) { put<std::uint32_t>(f, 0x22c, 0); }, "initrd_addr_max");
}

TEST(BzImage, RefusesAPreferredAddressThatWraps) {
  expect_refused([](auto& f) { put<std::uint64_t>(f, 0x258, 0xffffffffffff0000ull); }, "wraps");
}

TEST(BzImage, EveryTruncationIsRefusedNotMisread) {
  const std::vector<std::uint8_t> whole = synthetic_bzimage();
  for (std::size_t size = 0; size < whole.size(); size += 61) {
    std::vector<std::uint8_t> part(whole.begin(), whole.begin() + size);
    EXPECT_THROW(parse_bzimage(part), BzImageError) << size << " bytes";
  }
}

TEST(E820, MapsAPcWithHolesBelow1MiB) {
  const std::vector<E820Entry> expected = {
      {0x0, 0x9fc00, kE820Ram},
      {0x9fc00, 0x400, kE820Reserved},
      {0xf0000, 0x10000, kE820Reserved},
      {0x100000, (256 << 20) - 0x100000, kE820Ram},
      {0xfec00000, 0x1400000, kE820Reserved},
  };
  EXPECT_EQ(build_e820_map(256 << 20), expected);
  EXPECT_EQ(low_ram_end(256 << 20), 256u << 20);
}

TEST(E820, RamPastTheMmioGapContinuesAt4GiB) {
  const std::uint64_t ram = 4ull << 30;
  const std::vector<E820Entry> map = build_e820_map(ram);
  ASSERT_EQ(map.size(), 6u);
  EXPECT_EQ(map[3], (E820Entry{0x100000, 0xc0000000 - 0x100000, kE820Ram}));
  EXPECT_EQ(map[5], (E820Entry{1ull << 32, 1ull << 30, kE820Ram}));
  EXPECT_EQ(low_ram_end(ram), 0xc0000000u);
  std::uint64_t total_ram = 0;
  for (const E820Entry& e : map) total_ram += e.type == kE820Ram ? e.size : 0;
  EXPECT_EQ(total_ram, ram - (0x100000 - 0x9fc00)) << "all RAM but the 1 MiB area's holes";
}

TEST(E820, EntriesAreSortedAndDisjointForEverySize) {
  for (std::uint64_t ram : {2ull << 20, 64ull << 20, 3ull << 30, 5ull << 30, 64ull << 30}) {
    const std::vector<E820Entry> map = build_e820_map(ram);
    for (std::size_t i = 1; i < map.size(); ++i) {
      EXPECT_GE(map[i].address, map[i - 1].address + map[i - 1].size) << ram << " entry " << i;
    }
    for (const E820Entry& e : map) EXPECT_GT(e.size, 0u) << ram;
  }
}

TEST(E820, RefusesLessThanTwoMiB) { EXPECT_THROW(build_e820_map(1 << 20), BootParamsError); }

TEST(Placement, KernelGoesToItsPreferredAddressWhenItFits) {
  const BzImage image = described_image();
  EXPECT_EQ(choose_kernel_address(image, 256 << 20), GuestAddress(0x1000000));
}

TEST(Placement, ARelocatableKernelMovesDownWhenRamIsShort) {
  const BzImage image = described_image();
  // 16 MiB + 32 MiB does not fit in 40 MiB; 2 MiB (the first aligned address
  // at or above 1 MiB) + 32 MiB does.
  EXPECT_EQ(choose_kernel_address(image, 40 << 20), GuestAddress(0x200000));
  EXPECT_THROW(choose_kernel_address(image, 32 << 20), BootParamsError);
}

TEST(Placement, AFixedKernelMustHaveItsPreferredAddress) {
  BzImage image = described_image();
  image.relocatable = false;
  EXPECT_EQ(choose_kernel_address(image, 64 << 20), GuestAddress(0x1000000));
  try {
    choose_kernel_address(image, 40 << 20);
    ADD_FAILURE() << "a non-relocatable kernel was moved";
  } catch (const BootParamsError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not relocatable"));
  }
}

TEST(Placement, InitrdGoesAsHighAsItMayPageAligned) {
  const BzImage image = described_image();
  const std::uint64_t kernel_end = 0x1000000 + image.init_size;
  const GuestAddress at = place_initrd(image, 1'000'000, kernel_end, 256 << 20);
  EXPECT_EQ(at.value() % 4096, 0u);
  EXPECT_LE(at.value() + 1'000'000, 256u << 20);
  EXPECT_GT(at.value() + 1'000'000 + 4096, 256u << 20) << "not as high as it could go";
  EXPECT_GE(at.value(), kernel_end);
}

TEST(Placement, InitrdStaysBelowInitrdAddrMax) {
  BzImage image = described_image();
  image.initrd_addr_max = 0x37ffffff;  // the limit of protocols before 2.03
  const GuestAddress at = place_initrd(image, 0x100000, 0x3000000, 2ull << 30);
  EXPECT_EQ(at, GuestAddress(0x38000000 - 0x100000));
}

TEST(Placement, InitrdThatWouldOverlapTheKernelIsRefused) {
  const BzImage image = described_image();
  const std::uint64_t kernel_end = 0x1000000 + image.init_size;  // 48 MiB
  EXPECT_THROW(place_initrd(image, 20 << 20, kernel_end, 64 << 20), BootParamsError);
  EXPECT_NO_THROW(place_initrd(image, 16 << 20, kernel_end, 64 << 20));
  EXPECT_THROW(place_initrd(image, 0, kernel_end, 64 << 20), BootParamsError);
  EXPECT_THROW(place_initrd(image, ~0ull, kernel_end, 64 << 20), BootParamsError);
}

TEST(CommandLine, JoinsPartsAndNamesVirtioMmioDevices) {
  KernelCommandLine line("console=ttyS0");
  line.add("reboot=k panic=-1").add("");
  line.add_virtio_mmio(0x200, GuestAddress(0xd0000000), 5);
  line.add_virtio_mmio(0x200, GuestAddress(0xd0001000), 6);
  EXPECT_EQ(line.str(),
            "console=ttyS0 reboot=k panic=-1 virtio_mmio.device=0x200@0xd0000000:5 "
            "virtio_mmio.device=0x200@0xd0001000:6");
  const std::vector<std::uint8_t> bytes = line.bytes(2047);
  ASSERT_EQ(bytes.size(), line.str().size() + 1);
  EXPECT_EQ(bytes.back(), 0) << "NUL-terminated";
}

TEST(CommandLine, RefusesWhatWouldCutOrConfuseTheLine) {
  KernelCommandLine line;
  EXPECT_THROW(line.add(std::string("init=/init\0rdinit=/x", 20)), CommandLineError);
  EXPECT_THROW(line.add("console=ttyS0\nquiet"), CommandLineError);
  EXPECT_THROW(line.add_virtio_mmio(0, GuestAddress(0xd0000000), 5), CommandLineError);
  EXPECT_THROW(line.add_virtio_mmio(0x200, GuestAddress(~0ull - 0x10), 5), CommandLineError);
  EXPECT_THROW(line.add_virtio_mmio(0x200, GuestAddress(0xd0000000), 0), CommandLineError);
  EXPECT_EQ(line.str(), "") << "a refused part leaves the line as it was";
}

TEST(CommandLine, RefusesALineLongerThanTheKernelTakes) {
  KernelCommandLine line(std::string(100, 'x'));
  EXPECT_NO_THROW(line.bytes(100));
  try {
    line.bytes(99);
    ADD_FAILURE() << "a 100-byte line passed a 99-byte limit";
  } catch (const CommandLineError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cmdline_size of 99"));
  }
}

// A layout like the one LinuxVm makes, for `image`.
BootLayout layout_for(const BzImage& image) {
  BootLayout layout;
  layout.kernel = choose_kernel_address(image, 256 << 20);
  layout.command_line = GuestAddress(0x20000);
  layout.command_line_length = 13;
  layout.initrd_size = 0x123456;
  layout.initrd =
      place_initrd(image, layout.initrd_size, layout.kernel.value() + image.init_size, 256 << 20);
  layout.memory_map = build_e820_map(256 << 20);
  return layout;
}

// The zero page as bytes, the way the kernel reads it.
std::span<const std::uint8_t> bytes_of(const boot_params& params) {
  return {reinterpret_cast<const std::uint8_t*>(&params), sizeof params};
}

TEST(BootParams, FillsTheLoaderFieldsAtTheirOffsets) {
  const std::vector<std::uint8_t> file = synthetic_bzimage();
  const BzImage image = described_image();
  const BootLayout layout = layout_for(image);
  const boot_params params = build_boot_params(image, layout);
  const auto zp = bytes_of(params);
  ASSERT_EQ(zp.size(), 4096u);

  EXPECT_EQ(get<std::uint8_t>(zp, 0x210), 0xff) << "type_of_loader";
  EXPECT_EQ(get<std::uint8_t>(zp, 0x211), LOADED_HIGH | CAN_USE_HEAP) << "loadflags";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x214), 0x1000000u) << "code32_start: the load address";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x218), layout.initrd.value()) << "ramdisk_image";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x21c), 0x123456u) << "ramdisk_size";
  EXPECT_EQ(get<std::uint16_t>(zp, 0x224), 0xde00) << "heap_end_ptr";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x228), 0x20000u) << "cmd_line_ptr";
  EXPECT_EQ(get<std::uint16_t>(zp, 0x1fa), 0xffff) << "vid_mode";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x0c8), 0u) << "ext_cmd_line_ptr";

  EXPECT_EQ(get<std::uint8_t>(zp, 0x1e8), layout.memory_map.size()) << "e820_entries";
  for (std::size_t i = 0; i < layout.memory_map.size(); ++i) {
    const std::uint64_t at = 0x2d0 + 20 * i;
    EXPECT_EQ(get<std::uint64_t>(zp, at), layout.memory_map[i].address) << "e820 " << i;
    EXPECT_EQ(get<std::uint64_t>(zp, at + 8), layout.memory_map[i].size) << "e820 " << i;
    EXPECT_EQ(get<std::uint32_t>(zp, at + 16), layout.memory_map[i].type) << "e820 " << i;
  }
  // The rest of the header is the image's own.
  for (std::uint64_t off :
       {0x1f1, 0x1f4, 0x1fe, 0x202, 0x206, 0x22c, 0x230, 0x236, 0x238, 0x258, 0x260}) {
    EXPECT_EQ(zp[off], file[off]) << "header byte at " << std::hex << off;
  }
  // Nothing else is set: before the e820 count, and after the last entry.
  for (std::uint64_t off = 0; off < 0x1e8; ++off) ASSERT_EQ(zp[off], 0) << std::hex << off;
  for (std::uint64_t off = 0x2d0 + 20 * layout.memory_map.size(); off < 4096; ++off) {
    ASSERT_EQ(zp[off], 0) << std::hex << off;
  }
}

TEST(BootParams, WithoutAnInitrdTheRamdiskFieldsAreZero) {
  const BzImage image = described_image();
  BootLayout layout = layout_for(image);
  layout.initrd_size = 0;
  const boot_params params = build_boot_params(image, layout);
  EXPECT_EQ(params.hdr.ramdisk_image, 0u);
  EXPECT_EQ(params.hdr.ramdisk_size, 0u);
}

TEST(BootParams, ACommandLineAbove4GiBKeepsItsHighHalf) {
  const BzImage image = described_image();
  BootLayout layout = layout_for(image);
  layout.command_line = GuestAddress(0x1'2345'6000);
  const boot_params params = build_boot_params(image, layout);
  EXPECT_EQ(params.hdr.cmd_line_ptr, 0x23456000u);
  EXPECT_EQ(params.ext_cmd_line_ptr, 1u);
}

TEST(BootParams, RefusesWhatTheProtocolForbids) {
  const BzImage image = described_image();
  auto refused = [&](const std::function<void(BootLayout&)>& mutate, const std::string& what) {
    BootLayout layout = layout_for(image);
    mutate(layout);
    try {
      build_boot_params(image, layout);
      ADD_FAILURE() << "accepted; expected a refusal naming " << what;
    } catch (const BootParamsError& e) {
      EXPECT_THAT(e.what(), HasSubstr(what));
    }
  };
  refused([](BootLayout& l) { l.command_line_length = 2048; }, "cmdline_size");
  refused([](BootLayout& l) { l.initrd = GuestAddress(0x7fff0000); }, "initrd_addr_max");
  refused([](BootLayout& l) { l.initrd = GuestAddress(~0ull - 0x1000); }, "initrd_addr_max");
  refused([](BootLayout& l) { l.kernel = GuestAddress(1ull << 32); }, "above 4 GiB");
  refused([](BootLayout& l) { l.memory_map.resize(129); }, "129 memory map entries");
}

// ---- The real Debian kernel, as vendor-kernels/fetch-kernel leaves it.

std::vector<std::uint8_t> real_kernel() {
  const auto path = guest_kernel_image();
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << " is missing: run vendor-kernels/fetch-kernel (ci/install-deps "
                  << "runs it) to fetch the pinned Debian cloud kernel";
    return {};
  }
  return read_file(path);
}

TEST(RealKernel, ParsesAndSpeaksThe64BitProtocol) {
  const std::vector<std::uint8_t> file = real_kernel();
  if (file.empty()) return;
  const BzImage image = parse_bzimage(file);
  // Each field against the file's own bytes at boot.rst's offsets.
  EXPECT_EQ(image.protocol, get<std::uint16_t>(file, 0x206));
  EXPECT_GE(image.protocol, 0x020c);
  EXPECT_EQ(image.setup_sects, get<std::uint8_t>(file, 0x1f1));
  EXPECT_EQ(image.kernel_offset, (get<std::uint8_t>(file, 0x1f1) + 1u) * 512);
  EXPECT_EQ(image.kernel_size, get<std::uint32_t>(file, 0x1f4) * 16ull);
  EXPECT_LE(image.kernel_offset + image.kernel_size, file.size());
  EXPECT_EQ(image.kernel_alignment, get<std::uint32_t>(file, 0x230));
  EXPECT_EQ(image.relocatable, get<std::uint8_t>(file, 0x234) != 0);
  EXPECT_EQ(image.xloadflags, get<std::uint16_t>(file, 0x236));
  EXPECT_TRUE(image.xloadflags & XLF_KERNEL_64) << "Debian's kernel has a 64-bit entry point";
  EXPECT_EQ(image.cmdline_size, get<std::uint32_t>(file, 0x238));
  EXPECT_EQ(image.pref_address, get<std::uint64_t>(file, 0x258));
  EXPECT_EQ(image.init_size, get<std::uint32_t>(file, 0x260));
  EXPECT_GE(image.init_size, image.kernel_size);
  EXPECT_EQ(image.initrd_addr_max, get<std::uint32_t>(file, 0x22c));
}

TEST(RealKernel, ZeroPageMatchesTheImageFieldByField) {
  const std::vector<std::uint8_t> file = real_kernel();
  if (file.empty()) return;
  const BzImage image = parse_bzimage(file);
  const BootLayout layout = layout_for(image);
  const boot_params params = build_boot_params(image, layout);
  const auto zp = bytes_of(params);

  // The setup header: the image's bytes from 0x1f1 to the header's end,
  // except the fields boot.rst marks as the loader's to write.
  const std::uint64_t header_end = 0x202 + file[0x201];
  struct Field {
    std::uint64_t offset, size;
  };
  const Field loader_fields[] = {{0x1fa, 2}, {0x210, 1}, {0x211, 1}, {0x214, 4},
                                 {0x218, 4}, {0x21c, 4}, {0x224, 2}, {0x228, 4}};
  for (std::uint64_t off = 0x1f1; off < header_end; ++off) {
    bool loaders = false;
    for (const Field& f : loader_fields) loaders |= off >= f.offset && off < f.offset + f.size;
    if (!loaders) {
      ASSERT_EQ(zp[off], file[off]) << "setup header byte at 0x" << std::hex << off;
    }
  }
  EXPECT_EQ(get<std::uint16_t>(zp, 0x206), get<std::uint16_t>(file, 0x206)) << "version";
  EXPECT_EQ(get<std::uint8_t>(zp, 0x1f1), get<std::uint8_t>(file, 0x1f1)) << "setup_sects";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x230), get<std::uint32_t>(file, 0x230)) << "kernel_alignment";
  EXPECT_EQ(get<std::uint16_t>(zp, 0x236), get<std::uint16_t>(file, 0x236)) << "xloadflags";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x260), get<std::uint32_t>(file, 0x260)) << "init_size";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x238), get<std::uint32_t>(file, 0x238)) << "cmdline_size";

  // The loader's fields.
  EXPECT_EQ(get<std::uint8_t>(zp, 0x210), 0xff) << "type_of_loader";
  EXPECT_EQ(get<std::uint8_t>(zp, 0x211), file[0x211] | CAN_USE_HEAP) << "loadflags";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x214), layout.kernel.value()) << "code32_start";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x218), layout.initrd.value()) << "ramdisk_image";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x21c), layout.initrd_size) << "ramdisk_size";
  EXPECT_LE(layout.initrd.value() + layout.initrd_size - 1, get<std::uint32_t>(file, 0x22c))
      << "the initrd ends at or below the image's initrd_addr_max";
  EXPECT_GE(layout.initrd.value(), layout.kernel.value() + get<std::uint32_t>(file, 0x260))
      << "the initrd starts above the kernel's init_size";
  EXPECT_EQ(get<std::uint32_t>(zp, 0x228), 0x20000u) << "cmd_line_ptr";
  EXPECT_EQ(layout.kernel.value(), get<std::uint64_t>(file, 0x258))
      << "with 256 MiB, the kernel goes to its pref_address";

  // The memory map.
  ASSERT_EQ(get<std::uint8_t>(zp, 0x1e8), layout.memory_map.size()) << "e820_entries";
  for (std::size_t i = 0; i < layout.memory_map.size(); ++i) {
    const std::uint64_t at = 0x2d0 + 20 * i;
    EXPECT_EQ(get<std::uint64_t>(zp, at), layout.memory_map[i].address) << "e820 " << i;
    EXPECT_EQ(get<std::uint64_t>(zp, at + 8), layout.memory_map[i].size) << "e820 " << i;
    EXPECT_EQ(get<std::uint32_t>(zp, at + 16), layout.memory_map[i].type) << "e820 " << i;
  }
}

}  // namespace
}  // namespace uh::vmm::boot
