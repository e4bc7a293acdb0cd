// Your workspace for chapter 02: write the code where the LAB markers are.
// Made from solutions/vmm/paging/page_tables.cc by ci/labgen.py; `./lab test 02` checks your work,
// `./lab hint 02` helps, `./lab reset 02` brings this skeleton back.
#include "vmm/paging/page_tables.h"

#include <fmt/format.h>

#include <stdexcept>
#include "support/todo.h"

namespace uh::vmm {

namespace {

constexpr std::uint64_t kEntries = 512;
constexpr std::uint64_t kTableFlags = kPtePresent | kPteWritable;

void write_entry(const GuestMemory& memory, GuestAddress table, std::uint64_t index,
                 std::uint64_t value) {
  memory.write_obj(GuestAddress(table.value() + index * 8), value);
}

// Bits an entry at `level` may not set (SDM Vol. 3A, tables 4-14 to 4-20):
// address bits at or above MAXPHYADDR (up to 51) always; in a PML4E bit 7
// (PS) is reserved; in a 1 GiB PDPTE bits 29..13 and in a 2 MiB PDE bits
// 20..13 are reserved (the page must be aligned to its size). XD (bit 63) is
// allowed: this walker assumes EFER.NXE, as a long-mode VMM sets it.
std::uint64_t reserved_bits(int level, bool huge) {
  std::uint64_t bits = ((1ull << 52) - 1) & ~((1ull << kPhysicalAddressBits) - 1);
  if (level == 4) bits |= kPtePageSize;
  if (huge && level == 3) bits |= 0x3fff'e000ull;  // 29..13
  if (huge && level == 2) bits |= 0x001f'e000ull;  // 20..13
  return bits;
}

}  // namespace

PageTableLayout build_identity_and_higher_half(const GuestMemory& memory, GuestAddress tables,
                                               std::uint64_t bytes) {
  if (tables.value() % kPageSize4K != 0) {
    throw std::invalid_argument(
        fmt::format("page tables at {:#x}: not 4 KiB aligned", tables.value()));
  }
  if (bytes == 0 || bytes > 2 * kPageSize1G) {
    throw std::invalid_argument(
        fmt::format("cannot map {:#x} bytes: 2 MiB to 2 GiB fit the higher half", bytes));
  }
  const std::uint64_t pages = (bytes + kPageSize2M - 1) / kPageSize2M;
  const std::uint64_t pds = (pages + kEntries - 1) / kEntries;  // one PD maps 1 GiB
  // Layout: PML4, PDPT_low, PDPT_high, then the PDs, 4 KiB each.
  const GuestAddress pml4 = tables;
  const GuestAddress pdpt_low(tables.value() + kPageSize4K);
  const GuestAddress pdpt_high(tables.value() + 2 * kPageSize4K);
  const GuestAddress first_pd(tables.value() + 3 * kPageSize4K);
  PageTableLayout layout{pml4, (3 + pds) * kPageSize4K, pages * kPageSize2M};
  // Zero every table first (checks that they all fit in RAM, too): an entry
  // left as whatever RAM held would be a mapping nobody asked for.
  auto zeroed = memory.slice(tables, layout.tables_bytes);
  std::fill(zeroed.begin(), zeroed.end(), 0);

  // LAB(02.1) Fill the tables: PML4[0] -> PDPT_low, PML4[511] -> PDPT_high;
  // PDPT_low[i] and PDPT_high[510 + i] -> PD i; PD entries map 2 MiB pages of physical memory.
  throw uh::Todo("02.1",
                 "Fill the tables: PML4[0] -> PDPT_low, PML4[511] -> PDPT_high; PDPT_low[i] and "
                 "PDPT_high[510 + i] -> PD i; PD entries map 2 MiB pages of physical memory.");
  // END LAB
  return layout;
}

std::string WalkFault::describe() const {
  static const char* const kLevels[] = {"", "PT", "PD", "PDPT", "PML4"};
  const char* where = level >= 1 && level <= 4 ? kLevels[level] : "";
  switch (reason) {
    case Reason::kNonCanonical:
      return "the address is not canonical (bits 63..48 must copy bit 47)";
    case Reason::kNotPresent:
      return fmt::format("the {} entry is not present", where);
    case Reason::kReservedBit:
      return fmt::format("the {} entry sets a reserved bit", where);
    case Reason::kOutsideRam:
      return fmt::format("the {} table is not in guest RAM", where);
  }
  return "unknown fault";
}

Expected<Translation, WalkFault> walk(const GuestMemory& memory, std::uint64_t cr3,
                                      std::uint64_t virtual_address) {
  // LAB(02.2) Walk PML4 -> PDPT -> PD -> PT for the address: check it is canonical; at
  // each level read the entry (through memory), stop at a non-present or reserved one, or a huge
  // page.
  throw uh::Todo("02.2",
                 "Walk PML4 -> PDPT -> PD -> PT for the address: check it is canonical; at each "
                 "level read the entry (through memory), stop at a non-present or reserved one, "
                 "or a huge page.");
  // END LAB
  return unexpected(WalkFault{WalkFault::Reason::kNotPresent, 1});  // not reached
}

}  // namespace uh::vmm
