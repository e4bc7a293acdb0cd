// Your workspace for chapter 03: write the code where the LAB markers are.
// Made from solutions/vmm/linux/boot_params.cc by ci/labgen.py; `./lab test 03` checks your work,
// `./lab hint 03` helps, `./lab reset 03` brings this skeleton back.
#include "vmm/linux/boot_params.h"

#include <fmt/format.h>

#include <algorithm>
#include "support/todo.h"

namespace uh::vmm::boot {

namespace {

constexpr std::uint64_t kPageSize = 4096;
constexpr std::uint64_t kMinimumRam = 2 << 20;

std::uint64_t align_down(std::uint64_t value, std::uint64_t alignment) {
  return value - value % alignment;
}

}  // namespace

std::uint64_t low_ram_end(std::uint64_t ram_size) { return std::min(ram_size, kMmioGapStart); }

std::vector<E820Entry> build_e820_map(std::uint64_t ram_size) {
  if (ram_size < kMinimumRam) {
    throw BootParamsError(
        fmt::format("{:#x} bytes of RAM: a Linux guest needs at least 2 MiB", ram_size));
  }
  std::vector<E820Entry> map = {
      {0, kEbdaStart, kE820Ram},
      {kEbdaStart, kLowMemoryEnd - kEbdaStart, kE820Reserved},
      {kBiosStart, kHighMemoryStart - kBiosStart, kE820Reserved},
      {kHighMemoryStart, low_ram_end(ram_size) - kHighMemoryStart, kE820Ram},
      {kApicAndRomStart, k4GiB - kApicAndRomStart, kE820Reserved},
  };
  if (ram_size > kMmioGapStart) map.push_back({k4GiB, ram_size - kMmioGapStart, kE820Ram});
  return map;
}

GuestAddress choose_kernel_address(const BzImage& image, std::uint64_t ram_end) {
  // parse_bzimage() checked that pref_address + init_size does not wrap.
  if (image.pref_address >= kHighMemoryStart && image.pref_address + image.init_size <= ram_end) {
    return GuestAddress(image.pref_address);
  }
  if (!image.relocatable) {
    throw BootParamsError(
        fmt::format("the kernel is not relocatable and needs [{:#x}, {:#x}), which is not "
                    "inside the guest's RAM below {:#x}",
                    image.pref_address, image.pref_address + image.init_size, ram_end));
  }
  // boot.rst, kernel_alignment: a relocatable kernel runs from any multiple of it.
  const std::uint64_t a = image.kernel_alignment;
  const std::uint64_t address = (kHighMemoryStart + a - 1) / a * a;
  if (address > ram_end || image.init_size > ram_end - address) {
    throw BootParamsError(fmt::format(
        "the kernel needs {:#x} bytes from a multiple of {:#x} at or above 1 MiB, more than "
        "the guest's RAM below {:#x} has",
        image.init_size, a, ram_end));
  }
  return GuestAddress(address);
}

GuestAddress place_initrd(const BzImage& image, std::uint64_t size, std::uint64_t kernel_end,
                          std::uint64_t ram_end) {
  // initrd_addr_max is the highest address the initrd may occupy, so its end
  // (one past) may be initrd_addr_max + 1; u64, so that sum cannot wrap.
  const std::uint64_t top = std::min(ram_end, std::uint64_t{image.initrd_addr_max} + 1);
  if (size == 0 || size > top || align_down(top - size, kPageSize) < kernel_end) {
    throw BootParamsError(
        fmt::format("an initrd of {:#x} bytes does not fit between the kernel's end at {:#x} "
                    "and {:#x} (the lower of the end of RAM and initrd_addr_max + 1)",
                    size, kernel_end, top));
  }
  return GuestAddress(align_down(top - size, kPageSize));
}

boot_params build_boot_params(const BzImage& image, const BootLayout& layout) {
  boot_params params{};
  // LAB(03.5) Check the layout against the protocol's limits, then fill in the zero page:
  // the image's setup header, the loader's fields, the command line, initrd and memory map.
  throw uh::Todo("03.5",
                 "Check the layout against the protocol's limits, then fill in the zero page: "
                 "the image's setup header, the loader's fields, the command line, initrd and "
                 "memory map.");
  // END LAB
  return params;
}

}  // namespace uh::vmm::boot
