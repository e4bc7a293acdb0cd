// vmm/loader/elf_loader.h — a 64-bit ELF executable, checked and copied into guest RAM.
//
// Owns: nothing; a pure function over bytes and GuestMemory.
//
// An ELF executable is a header, a table of program headers, and the bytes
// they point at. For loading, only PT_LOAD program headers matter: each says
// "copy p_filesz bytes from file offset p_offset to physical address p_paddr,
// then zero up to p_memsz" (the rest is .bss). The header gives the entry
// point, a virtual address (the guest's page tables map it).
//
// The file is untrusted input: every offset and size is checked against the
// file, every destination against guest RAM, with overflow-checked sums
// (System V ABI, gABI chapter 4 "ELF Header" and chapter 5 "Program Header").
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>

#include "vmm/memory/guest_memory.h"

namespace uh::vmm {

/// An ELF file this loader will not load; what() says which field and why.
class ElfError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct LoadedElf {
  std::uint64_t entry = 0;  ///< e_entry: the virtual address to start at
  GuestAddress lowest;      ///< the lowest physical byte a segment covers
  GuestAddress highest;     ///< one past the highest
  unsigned segments = 0;    ///< PT_LOAD segments copied
};

/// The most program headers a file may have (a hostile file cannot make the
/// loader loop for long).
inline constexpr unsigned kMaxProgramHeaders = 64;

/// Checks `file` is a little-endian ELF64 executable for x86-64 (ET_EXEC,
/// EM_X86_64, version 1), then copies each PT_LOAD segment to its p_paddr
/// and zeroes its .bss. Checks, before copying anything: the header and the
/// program header table lie inside the file; e_phentsize is 56; at most
/// kMaxProgramHeaders; each segment's file bytes lie inside the file,
/// p_filesz <= p_memsz, and [p_paddr, p_paddr + p_memsz) lies inside guest
/// RAM. Throws ElfError naming the field ("program header 2: p_filesz
/// 0x2000 > p_memsz 0x1000"). Nothing is written unless everything is valid.
LoadedElf load_elf(std::span<const std::uint8_t> file, const GuestMemory& memory);

}  // namespace uh::vmm
