// Your workspace for chapter 02: write the code where the LAB markers are.
// Made from solutions/vmm/loader/elf_loader.cc by ci/labgen.py; `./lab test 02` checks your work,
// `./lab hint 02` helps, `./lab reset 02` brings this skeleton back.
#include "vmm/loader/elf_loader.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>
#include "support/todo.h"

namespace uh::vmm {

namespace {

[[noreturn]] void bad(const std::string& what) { throw ElfError("ELF: " + what); }

template <typename T>
T read_at(std::span<const std::uint8_t> file, std::uint64_t offset, const char* what) {
  if (offset > file.size() || file.size() - offset < sizeof(T)) {
    bad(fmt::format("{} at offset {:#x} runs past the end of the file ({} bytes)", what, offset,
                    file.size()));
  }
  T value;
  std::memcpy(&value, file.data() + offset, sizeof(T));
  return value;
}

}  // namespace

LoadedElf load_elf(std::span<const std::uint8_t> file, const GuestMemory& memory) {
  const auto header = read_at<Elf64_Ehdr>(file, 0, "the ELF header");
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) bad("not an ELF file (bad magic)");
  if (header.e_ident[EI_CLASS] != ELFCLASS64) bad("not a 64-bit ELF file (EI_CLASS)");
  if (header.e_ident[EI_DATA] != ELFDATA2LSB) bad("not little-endian (EI_DATA)");
  if (header.e_ident[EI_VERSION] != EV_CURRENT || header.e_version != EV_CURRENT) {
    bad("unknown ELF version");
  }
  if (header.e_type != ET_EXEC) bad(fmt::format("e_type {} is not ET_EXEC", header.e_type));
  if (header.e_machine != EM_X86_64) {
    bad(fmt::format("e_machine {} is not EM_X86_64", header.e_machine));
  }
  if (header.e_phentsize != sizeof(Elf64_Phdr)) {
    bad(fmt::format("e_phentsize {} is not {}", header.e_phentsize, sizeof(Elf64_Phdr)));
  }
  if (header.e_phnum == 0) bad("no program headers: nothing to load");
  if (header.e_phnum > kMaxProgramHeaders) {
    bad(fmt::format("{} program headers; at most {}", header.e_phnum, kMaxProgramHeaders));
  }

  // First check every segment, then copy: a file that fails half-way must
  // not leave half a program in RAM.
  std::vector<Elf64_Phdr> loads;
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    const std::uint64_t at = header.e_phoff + std::uint64_t{i} * sizeof(Elf64_Phdr);
    if (at < header.e_phoff) bad("e_phoff overflows");
    const auto ph = read_at<Elf64_Phdr>(file, at, "a program header");
    if (ph.p_type != PT_LOAD) continue;
    const std::string name = fmt::format("program header {}", i);
    // LAB(02.4) Check the segment: its file bytes inside the file, p_filesz <= p_memsz,
    // and [p_paddr, p_paddr + p_memsz) inside guest RAM (overflow-checked). Keep it in `loads`.
    throw uh::Todo("02.4",
                   "Check the segment: its file bytes inside the file, p_filesz <= p_memsz, and "
                   "[p_paddr, p_paddr + p_memsz) inside guest RAM (overflow-checked). Keep it in "
                   "`loads`.");
    // END LAB
  }
  if (loads.empty()) bad("no PT_LOAD program header: nothing to load");

  LoadedElf out;
  out.entry = header.e_entry;
  out.lowest = GuestAddress(UINT64_MAX);
  for (const Elf64_Phdr& ph : loads) {
    auto dest = memory.slice(GuestAddress(ph.p_paddr), ph.p_memsz);
    std::copy_n(file.data() + ph.p_offset, ph.p_filesz, dest.begin());
    std::fill(dest.begin() + static_cast<std::ptrdiff_t>(ph.p_filesz), dest.end(), 0);
    out.lowest = std::min(out.lowest, GuestAddress(ph.p_paddr));
    out.highest = std::max(out.highest, GuestAddress(ph.p_paddr + ph.p_memsz));
    ++out.segments;
  }
  return out;
}

}  // namespace uh::vmm
