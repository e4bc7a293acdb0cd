// Your workspace for chapter 03: write the code where the LAB markers are.
// Made from solutions/vmm/linux/bzimage.cc by ci/labgen.py; `./lab test 03` checks your work,
// `./lab hint 03` helps, `./lab reset 03` brings this skeleton back.
#include "vmm/linux/bzimage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include "support/todo.h"

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
  throw uh::Todo("03.4",
                 "Check every field the loader relies on against the file and the protocol (boot "
                 "flag, magic, version, flags, sizes, alignment), then fill in `image`.");
  // END LAB
  return image;
}

std::span<const std::uint8_t> protected_mode_kernel(const BzImage& image,
                                                    std::span<const std::uint8_t> file) {
  return file.subspan(image.kernel_offset, image.kernel_size);
}

}  // namespace uh::vmm::boot
