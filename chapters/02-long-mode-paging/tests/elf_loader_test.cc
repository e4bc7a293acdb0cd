// Chapter 02 — the ELF loader: real files load, malformed ones are refused whole.
#include "vmm/loader/elf_loader.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <vector>

#include "guest/longmode/image.h"

namespace uh::vmm {
namespace {

GuestMemory ram() {
  GuestMemory m;
  m.add_region(GuestAddress(0), 4 << 20);
  return m;
}

// A small executable: one PT_NOTE (ignored) and two PT_LOAD segments, the
// second with .bss (p_memsz > p_filesz).
struct Elf {
  Elf64_Ehdr header{};
  Elf64_Phdr phdrs[3]{};
  std::vector<std::uint8_t> text = std::vector<std::uint8_t>(100, 0xcc);
  std::vector<std::uint8_t> data = std::vector<std::uint8_t>(16, 0x5a);

  Elf() {
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = ELFCLASS64;
    header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_ident[EI_VERSION] = EV_CURRENT;
    header.e_type = ET_EXEC;
    header.e_machine = EM_X86_64;
    header.e_version = EV_CURRENT;
    header.e_entry = 0xffffffff80200010ull;
    header.e_phoff = sizeof(Elf64_Ehdr);
    header.e_ehsize = sizeof(Elf64_Ehdr);
    header.e_phentsize = sizeof(Elf64_Phdr);
    header.e_phnum = 3;
    const std::uint64_t text_at = sizeof(Elf64_Ehdr) + sizeof phdrs;
    phdrs[0] = Elf64_Phdr{PT_NOTE, 0, 0, 0, 0, 0, 0, 4};
    phdrs[1] = Elf64_Phdr{PT_LOAD,  PF_R | PF_X, text_at,     0xffffffff80200000ull,
                          0x200000, text.size(), text.size(), 0x1000};
    phdrs[2] = Elf64_Phdr{
        PT_LOAD, PF_R | PF_W, text_at + text.size(), 0xffffffff80201000ull, 0x201000, data.size(),
        0x800,   0x1000};
  }
  std::vector<std::uint8_t> bytes() const {
    std::vector<std::uint8_t> out(sizeof header + sizeof phdrs);
    std::memcpy(out.data(), &header, sizeof header);
    std::memcpy(out.data() + sizeof header, phdrs, sizeof phdrs);
    out.insert(out.end(), text.begin(), text.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
  }
};

std::string refusal(const std::vector<std::uint8_t>& file, const GuestMemory& m) {
  try {
    load_elf(file, m);
  } catch (const ElfError& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(ElfLoader, LoadsSegmentsAndZeroesBss) {
  GuestMemory m = ram();
  m.write_obj<std::uint32_t>(GuestAddress(0x201000 + 0x400), 0xdeadbeef);  // stale RAM under .bss
  const LoadedElf loaded = load_elf(Elf().bytes(), m);
  EXPECT_EQ(loaded.entry, 0xffffffff80200010ull);
  EXPECT_EQ(loaded.segments, 2u) << "PT_NOTE is not loaded";
  EXPECT_EQ(loaded.lowest, GuestAddress(0x200000));
  EXPECT_EQ(loaded.highest, GuestAddress(0x201800));
  EXPECT_EQ(m.read_obj<std::uint8_t>(GuestAddress(0x200000 + 99)), 0xcc);
  EXPECT_EQ(m.read_obj<std::uint8_t>(GuestAddress(0x201000 + 15)), 0x5a);
  EXPECT_EQ(m.read_obj<std::uint32_t>(GuestAddress(0x201000 + 0x400)), 0u) << ".bss zeroed";
}

TEST(ElfLoader, TheWorkbooksGuestLoads) {
  GuestMemory m = ram();
  const LoadedElf loaded = load_elf(guest::longmode::kGuestElf, m);
  EXPECT_EQ(loaded.entry, 0xffffffff80200000ull) << "_start is first in .text";
  EXPECT_EQ(loaded.lowest, GuestAddress(0x200000));
  EXPECT_GE(loaded.segments, 1u);
}

TEST(ElfLoader, EachMalformedFieldIsNamedAndNothingIsWritten) {
  struct Case {
    const char* why;
    std::function<void(Elf&)> edit;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"magic", [](Elf& e) { e.header.e_ident[1] = 'X'; }, "ELF: not an ELF file (bad magic)"},
      {"32-bit", [](Elf& e) { e.header.e_ident[EI_CLASS] = ELFCLASS32; },
       "ELF: not a 64-bit ELF file (EI_CLASS)"},
      {"big-endian", [](Elf& e) { e.header.e_ident[EI_DATA] = ELFDATA2MSB; },
       "ELF: not little-endian (EI_DATA)"},
      {"shared object", [](Elf& e) { e.header.e_type = ET_DYN; }, "ELF: e_type 3 is not ET_EXEC"},
      {"arm", [](Elf& e) { e.header.e_machine = EM_AARCH64; },
       "ELF: e_machine 183 is not EM_X86_64"},
      {"phentsize", [](Elf& e) { e.header.e_phentsize = 32; }, "ELF: e_phentsize 32 is not 56"},
      {"too many", [](Elf& e) { e.header.e_phnum = 1000; },
       "ELF: 1000 program headers; at most 64"},
      {"phoff", [](Elf& e) { e.header.e_phoff = 1 << 20; },
       "ELF: a program header at offset 0x100000 runs past the end of the file (348 bytes)"},
      {"file bytes", [](Elf& e) { e.phdrs[2].p_filesz = 4096; },
       "ELF: program header 2: file bytes [0x14c, +0x1000) run past the end of the file (348 "
       "bytes)"},
      {"filesz > memsz", [](Elf& e) { e.phdrs[1].p_memsz = 10; },
       "ELF: program header 1: p_filesz 0x64 > p_memsz 0xa"},
      {"outside RAM", [](Elf& e) { e.phdrs[2].p_paddr = 0x3fff00; },
       "ELF: program header 2: [0x3fff00, +0x800) is not inside guest RAM"},
      {"overflow", [](Elf& e) { e.phdrs[2].p_paddr = 0xfffffffffffffc00ull; },
       "ELF: program header 2: p_paddr 0xfffffffffffffc00 + p_memsz 0x800 overflows"},
      {"nothing to load", [](Elf& e) { e.phdrs[1].p_type = e.phdrs[2].p_type = PT_NULL; },
       "ELF: no PT_LOAD program header: nothing to load"},
  };
  for (const Case& c : cases) {
    Elf elf;
    c.edit(elf);
    GuestMemory m = ram();
    EXPECT_EQ(refusal(elf.bytes(), m), c.expected) << c.why;
    EXPECT_EQ(m.read_obj<std::uint8_t>(GuestAddress(0x200000)), 0)
        << c.why << ": the first segment was copied before the file was refused";
  }
  GuestMemory m = ram();
  EXPECT_EQ(refusal({}, m),
            "ELF: the ELF header at offset 0x0 runs past the end of the file (0 bytes)");
}

}  // namespace
}  // namespace uh::vmm
