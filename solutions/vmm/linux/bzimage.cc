#include "vmm/linux/bzimage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace uh::vmm::boot {

namespace {

// The setup header's fields at their boot.rst offsets, from the file's start.
static_assert(kSetupHeaderOffset + offsetof(setup_header, boot_flag) == kBootFlagOffset);
static_assert(kSetupHeaderOffset + offsetof(setup_header, jump) == kJumpOffset);
static_assert(kSetupHeaderOffset + offsetof(setup_header, header) == kMagicOffset);
static_assert(kSetupHeaderOffset + offsetof(setup_header, init_size) == 0x260);

/// The end of the header fields this loader relies on (init_size, protocol 2.10).
constexpr std::uint64_t kRequiredHeaderEnd = 0x264;
/// The end of the largest setup header this loader knows (protocol 2.15).
constexpr std::uint64_t kKnownHeaderEnd = kSetupHeaderOffset + sizeof(setup_header);

template <typename T>
T read_le(std::span<const std::uint8_t> file, std::uint64_t offset) {
  T value;
  std::memcpy(&value, file.data() + offset, sizeof value);  // x86 is little-endian too
  return value;
}

[[noreturn]] void bad(const std::string& why) { throw BzImageError("bzImage: " + why); }

}  // namespace

BzImage parse_bzimage(std::span<const std::uint8_t> file) {
  BzImage image;
  // LAB(03.4) Check every field the loader relies on against the file and the protocol
  // (boot flag, magic, version, flags, sizes, alignment), then fill in `image`.
  if (file.size() < kRequiredHeaderEnd) {
    bad(fmt::format("the file is {} bytes, too short to hold a setup header (which ends at {:#x})",
                    file.size(), kRequiredHeaderEnd));
  }
  // boot.rst, "The Real-Mode Kernel Header": boot_flag and header identify the format.
  if (std::uint16_t flag = read_le<std::uint16_t>(file, kBootFlagOffset); flag != kBootFlag) {
    bad(fmt::format("boot_flag at {:#x} is {:#06x}, not 0xaa55: not a Linux kernel image",
                    kBootFlagOffset, flag));
  }
  if (std::uint32_t magic = read_le<std::uint32_t>(file, kMagicOffset); magic != kHeaderMagic) {
    bad(
        fmt::format("the magic at {:#x} is {:#010x}, not \"HdrS\": a kernel older than boot "
                    "protocol 2.00, or not a kernel",
                    kMagicOffset, magic));
  }
  // The header ends where the jump at 0x200 lands: 0x202 + its 8-bit displacement.
  const std::uint64_t header_end = kMagicOffset + file[kJumpOffset + 1];
  if (header_end < kRequiredHeaderEnd) {
    bad(fmt::format("the setup header ends at {:#x} (jump at 0x200), before init_size at 0x260",
                    header_end));
  }
  const std::uint64_t copied_end = std::min(header_end, kKnownHeaderEnd);
  std::memcpy(&image.header, file.data() + kSetupHeaderOffset,
              std::min<std::uint64_t>(copied_end, file.size()) - kSetupHeaderOffset);
  const setup_header& h = image.header;

  image.protocol = h.version;
  if (image.protocol < kMinimumProtocol) {
    bad(fmt::format("boot protocol {}.{:02}: a 64-bit entry needs 2.12 or later (xloadflags)",
                    image.protocol >> 8, image.protocol & 0xff));
  }
  image.loadflags = h.loadflags;
  if (!(image.loadflags & LOADED_HIGH)) {
    bad("loadflags lacks LOADED_HIGH: a zImage, loaded below 1 MiB, which this loader does not "
        "boot");
  }
  image.xloadflags = h.xloadflags;
  if (!(image.xloadflags & XLF_KERNEL_64)) {
    bad(fmt::format("xloadflags {:#x} lacks XLF_KERNEL_64: the kernel has no 64-bit entry point",
                    image.xloadflags));
  }

  // "Loading The Rest of The Kernel": setup_sects 0 means 4, for old kernels.
  image.setup_sects = h.setup_sects == 0 ? 4 : h.setup_sects;
  // At least 2 x 512 bytes, so the header (which ends by 0x301) is always inside.
  image.kernel_offset = (std::uint64_t{image.setup_sects} + 1) * 512;
  if (image.kernel_offset >= file.size()) {
    bad(
        fmt::format("setup_sects {}: the setup code would end at {:#x}, leaving nothing of "
                    "the {}-byte file for the kernel",
                    image.setup_sects, image.kernel_offset, file.size()));
  }
  // syssize counts 16-byte paragraphs; u64 arithmetic, so no value can wrap.
  image.kernel_size = std::uint64_t{h.syssize} * 16;
  if (image.kernel_size == 0 || image.kernel_size > file.size() - image.kernel_offset) {
    bad(
        fmt::format("syssize {:#x}: a {:#x}-byte kernel at {:#x} does not fit in the "
                    "{:#x}-byte file",
                    h.syssize, image.kernel_size, image.kernel_offset, file.size()));
  }

  image.init_size = h.init_size;
  if (image.init_size < image.kernel_size) {
    bad(fmt::format("init_size {:#x} is smaller than the {:#x}-byte kernel it must hold",
                    image.init_size, image.kernel_size));
  }
  image.relocatable = h.relocatable_kernel != 0;
  image.kernel_alignment = h.kernel_alignment;
  const std::uint32_t a = image.kernel_alignment;
  if (image.relocatable && (a == 0 || (a & (a - 1)) != 0)) {
    bad(fmt::format("kernel_alignment {:#x} is not a power of two", a));
  }
  image.cmdline_size = h.cmdline_size;
  if (image.cmdline_size == 0) bad("cmdline_size is 0: no room for a command line");
  image.initrd_addr_max = h.initrd_addr_max;
  if (image.initrd_addr_max == 0) bad("initrd_addr_max is 0: no room for an initrd");
  image.pref_address = h.pref_address;
  if (image.pref_address > UINT64_MAX - image.init_size) {
    bad(fmt::format("pref_address {:#x} + init_size {:#x} wraps past 2^64", image.pref_address,
                    image.init_size));
  }
  // END LAB
  return image;
}

std::span<const std::uint8_t> protected_mode_kernel(const BzImage& image,
                                                    std::span<const std::uint8_t> file) {
  return file.subspan(image.kernel_offset, image.kernel_size);
}

}  // namespace uh::vmm::boot
