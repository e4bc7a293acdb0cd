// vmm/linux/bzimage.h — a Linux kernel image (bzImage), checked before it is trusted.
//
// Owns: nothing; a pure function over the file's bytes.
//
// A bzImage is two programs in one file (Documentation/arch/x86/boot.rst,
// "The Real-Mode Kernel Header" and "Loading The Rest of The Kernel"):
//
//   offset 0                     (setup_sects + 1) x 512         end of file
//   | boot sector | real-mode setup code | protected-mode kernel (compressed) |
//          ^ 0x1f1: struct setup_header, the kernel's half of the boot protocol
//
// The setup header says which protocol version the kernel speaks, how big
// each part is, where the kernel would like to be loaded, how much memory it
// needs there, how long its command line may be and whether it can be
// entered in 64-bit mode. A VMM that enters the kernel directly skips the
// real-mode setup code: it loads only the protected-mode part, fills in the
// zero page (boot_params.h) and jumps to the 64-bit entry point, 0x200 bytes
// into the protected-mode part ("64-bit Boot Protocol").
//
// The file is input from outside: every offset, size and flag is checked
// against the file and against the protocol before anything is loaded.
// Never: reads a byte outside the file, or trusts a size it has not checked.
#pragma once

#include <asm/bootparam.h>

#include <cstdint>
#include <span>
#include <stdexcept>

namespace uh::vmm::boot {

/// A file this loader will not boot; what() names the field and the rule.
class BzImageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Where boot.rst puts the fields parse_bzimage() reads first.
inline constexpr std::uint64_t kSetupHeaderOffset = 0x1f1;
inline constexpr std::uint64_t kBootFlagOffset = 0x1fe;
inline constexpr std::uint64_t kJumpOffset = 0x200;  ///< 2 bytes: a short jump over the header
inline constexpr std::uint64_t kMagicOffset = 0x202;
inline constexpr std::uint16_t kBootFlag = 0xaa55;
inline constexpr std::uint32_t kHeaderMagic = 0x53726448;  ///< "HdrS", little-endian

/// The oldest protocol this loader accepts: 2.12 added xloadflags, which is
/// where a kernel says it has a 64-bit entry point.
inline constexpr std::uint16_t kMinimumProtocol = 0x020c;

/// The 64-bit entry point's offset into the protected-mode kernel.
inline constexpr std::uint64_t kEntry64Offset = 0x200;

/// What parse_bzimage() found, every field checked.
struct BzImage {
  /// The setup header as the file has it: the bytes from 0x1f1 up to the
  /// header's own end (0x202 + the byte at 0x201), the rest zero. The zero
  /// page starts from a copy of it ("64-bit Boot Protocol").
  setup_header header{};

  std::uint16_t protocol = 0;  ///< version, e.g. 0x020f for 2.15
  unsigned setup_sects = 0;    ///< real-mode sectors after the boot sector (0 in the file means 4)
  std::uint8_t loadflags = 0;  ///< LOADED_HIGH is always set: a bzImage, not a zImage
  std::uint16_t xloadflags = 0;        ///< XLF_KERNEL_64 is always set
  bool relocatable = false;            ///< may be loaded at any kernel_alignment multiple
  std::uint32_t kernel_alignment = 0;  ///< a power of two when relocatable
  std::uint32_t initrd_addr_max = 0;   ///< highest byte an initrd may occupy
  std::uint32_t cmdline_size = 0;      ///< longest command line, without its NUL
  std::uint32_t init_size = 0;         ///< bytes the kernel needs from its load address to boot
  std::uint64_t pref_address = 0;      ///< where the kernel would like to be loaded

  /// The protected-mode kernel: its offset in the file, (setup_sects + 1) x 512,
  /// and its size, syssize x 16 (anything after it, such as a Secure Boot
  /// signature, is not part of the kernel).
  std::uint64_t kernel_offset = 0;
  std::uint64_t kernel_size = 0;
};

/// Checks `file` is a bzImage this VMM can enter in 64-bit mode, and
/// describes it. Checks, before anything else is read: the file holds a
/// whole setup header; boot_flag is 0xAA55; the magic at 0x202 is "HdrS";
/// the protocol is at least 2.12; LOADED_HIGH (a bzImage) and XLF_KERNEL_64
/// are set; the header's declared end reaches init_size; the setup code
/// and the protected-mode kernel lie inside the file; init_size
/// is at least the kernel's size; a relocatable kernel's alignment is a
/// power of two; cmdline_size and initrd_addr_max are not zero; and
/// pref_address + init_size does not wrap. Throws BzImageError naming the
/// field ("setup_sects 200: the setup code would end at 0x19200, past the
/// end of the 4096-byte file").
BzImage parse_bzimage(std::span<const std::uint8_t> file);

/// The protected-mode kernel's bytes in `file`. REQUIRES: `image` came from
/// parse_bzimage(file).
std::span<const std::uint8_t> protected_mode_kernel(const BzImage& image,
                                                    std::span<const std::uint8_t> file);

}  // namespace uh::vmm::boot
