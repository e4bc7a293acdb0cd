// vmm/linux/boot_params.h — the zero page: what the loader tells the kernel at entry.
//
// Owns: nothing; pure functions, tested without KVM.
//
// At the 64-bit entry point RSI holds the guest-physical address of a
// struct boot_params, 4 KiB known as the "zero page" (its layout is
// <asm/bootparam.h>; its rules Documentation/arch/x86/boot.rst and
// zero-page.rst). The loader starts it from the image's setup header and
// fills in what only it knows:
//
//   0x1e8  e820_entries       how many entries e820_table holds
//   0x1f1  hdr                the image's setup header, then the loader's fields:
//   0x210    type_of_loader   0xff: a loader without an assigned id
//   0x211    loadflags        + CAN_USE_HEAP
//   0x218    ramdisk_image    where the initrd is ...
//   0x21c    ramdisk_size     ... and how long (0: none)
//   0x224    heap_end_ptr     end of the setup code's heap
//   0x228    cmd_line_ptr     where the NUL-terminated command line is
//   0x2d0  e820_table[128]    the physical memory map: {addr, size, type}
//
// The memory map is how a kernel learns where RAM is; on a PC the BIOS
// answers INT 15h, AX=E820h with it, here the VMM writes it directly.
// Where things go in guest RAM is decided by choose_kernel_address() and
// place_initrd(), following the rules boot.rst gives for each.
// Never: writes guest RAM; the caller copies the results in.
#pragma once

#include <asm/bootparam.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "vmm/linux/bzimage.h"
#include "vmm/memory/guest_address.h"

namespace uh::vmm::boot {

/// A layout that breaks a boot protocol rule; what() says which.
class BootParamsError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The zero page's layout, as boot.rst's zero-page.rst documents it.
static_assert(sizeof(boot_params) == 4096);
static_assert(offsetof(boot_params, e820_entries) == 0x1e8);
static_assert(offsetof(boot_params, hdr) == 0x1f1);
static_assert(offsetof(boot_params, hdr.type_of_loader) == 0x210);
static_assert(offsetof(boot_params, hdr.loadflags) == 0x211);
static_assert(offsetof(boot_params, hdr.ramdisk_image) == 0x218);
static_assert(offsetof(boot_params, hdr.ramdisk_size) == 0x21c);
static_assert(offsetof(boot_params, hdr.heap_end_ptr) == 0x224);
static_assert(offsetof(boot_params, hdr.cmd_line_ptr) == 0x228);
static_assert(offsetof(boot_params, e820_table) == 0x2d0);
static_assert(sizeof(boot_e820_entry) == 20);

// e820 entry types (ACPI 6.5, table 15.1 "Address Range Types").
inline constexpr std::uint32_t kE820Ram = 1;
inline constexpr std::uint32_t kE820Reserved = 2;

/// One range of the physical memory map.
struct E820Entry {
  std::uint64_t address = 0;
  std::uint64_t size = 0;
  std::uint32_t type = kE820Ram;
  bool operator==(const E820Entry&) const = default;
};

// The PC's fixed landmarks below 1 MiB, and the hole below 4 GiB.
inline constexpr std::uint64_t kEbdaStart = 0x9fc00;     ///< extended BIOS data area, to 640 KiB
inline constexpr std::uint64_t kLowMemoryEnd = 0xa0000;  ///< 640 KiB: VGA memory starts here
inline constexpr std::uint64_t kBiosStart = 0xf0000;     ///< the system BIOS ROM, to 1 MiB
inline constexpr std::uint64_t kHighMemoryStart = 0x100000;  ///< 1 MiB
/// RAM stops here below 4 GiB; the rest up to 4 GiB is for devices (MMIO).
inline constexpr std::uint64_t kMmioGapStart = 0xc0000000;
/// Local and I/O APICs, KVM's TSS and identity-map pages, the BIOS's reset vector.
inline constexpr std::uint64_t kApicAndRomStart = 0xfec00000;
inline constexpr std::uint64_t k4GiB = 1ull << 32;

/// The memory map of a PC with `ram_size` bytes of RAM (at least 2 MiB):
///
///   [0, 0x9fc00)                 RAM        conventional memory
///   [0x9fc00, 0xa0000)           reserved   extended BIOS data area
///   [0xf0000, 0x100000)          reserved   system BIOS
///   [1 MiB, top of low RAM)      RAM        up to ram_size or 3 GiB
///   [0xfec00000, 4 GiB)          reserved   APICs, KVM's TSS and identity map, ROM
///   [4 GiB, ...)                 RAM        what did not fit below the MMIO gap
///
/// VGA memory (0xa0000..0xc0000) and the option ROMs are holes: not listed.
/// Throws BootParamsError for less than 2 MiB.
std::vector<E820Entry> build_e820_map(std::uint64_t ram_size);

/// The end of RAM below the MMIO gap for `ram_size` bytes of RAM: where the
/// kernel, initrd and command line must end.
std::uint64_t low_ram_end(std::uint64_t ram_size);

/// Where to load the protected-mode kernel so that its init_size bytes end
/// at or below `ram_end`: at pref_address when they fit there (no
/// relocation needed), otherwise, for a relocatable kernel, the lowest
/// multiple of kernel_alignment at or above 1 MiB. Throws BootParamsError
/// when neither fits.
GuestAddress choose_kernel_address(const BzImage& image, std::uint64_t ram_end);

/// Where to put an initrd of `size` bytes: as high as possible (boot.rst:
/// early kernel code may otherwise overwrite it), page aligned, ending at or
/// below both `ram_end` and initrd_addr_max + 1, and starting at or above
/// `kernel_end` (the kernel's load address + init_size). Throws
/// BootParamsError when it does not fit.
GuestAddress place_initrd(const BzImage& image, std::uint64_t size, std::uint64_t kernel_end,
                          std::uint64_t ram_end);

/// Where the loader put everything, for build_boot_params().
struct BootLayout {
  GuestAddress kernel;                ///< the protected-mode kernel's load address
  GuestAddress command_line;          ///< the NUL-terminated command line
  std::uint32_t command_line_length;  ///< its bytes, without the NUL
  GuestAddress initrd;                ///< ignored when initrd_size is 0
  std::uint32_t initrd_size = 0;
  std::vector<E820Entry> memory_map;
};

/// The setup code's heap end the loader reports (boot.rst's sample loader:
/// heap_end 0xe000, less the 0x200 bytes of the boot sector).
inline constexpr std::uint16_t kHeapEndPtr = 0xde00;
/// type_of_loader for a loader without an id of its own.
inline constexpr std::uint8_t kLoaderUndefined = 0xff;
/// vid_mode "normal": the kernel keeps the video mode it finds.
inline constexpr std::uint16_t kVideoModeNormal = 0xffff;

/// The zero page for `image` loaded as `layout` says: the image's setup
/// header with the loader's fields filled in, the memory map copied in, and
/// everything else zero. Checks the protocol's rules first: the command
/// line fits in cmdline_size; the initrd ends at or below initrd_addr_max
/// + 1; the memory map has at most 128 entries; the kernel lies below 4 GiB
/// (code32_start has 32 bits; the command line's high half goes in
/// ext_cmd_line_ptr). Throws BootParamsError naming the rule.
boot_params build_boot_params(const BzImage& image, const BootLayout& layout);

}  // namespace uh::vmm::boot
