#include "vmm/paging/page_tables.h"

#include <fmt/format.h>

#include <stdexcept>

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
  write_entry(memory, pml4, 0, pdpt_low.value() | kTableFlags);
  write_entry(memory, pml4, kEntries - 1, pdpt_high.value() | kTableFlags);
  // 0xffffffff80000000 has PML4 index 511 and PDPT index 510.
  const std::uint64_t high_first = (kHigherHalfBase >> 30) & (kEntries - 1);
  for (std::uint64_t i = 0; i < pds; ++i) {
    const std::uint64_t pd = first_pd.value() + i * kPageSize4K;
    write_entry(memory, pdpt_low, i, pd | kTableFlags);
    write_entry(memory, pdpt_high, high_first + i, pd | kTableFlags);
  }
  for (std::uint64_t page = 0; page < pages; ++page) {
    const GuestAddress pd(first_pd.value() + (page / kEntries) * kPageSize4K);
    write_entry(memory, pd, page % kEntries, page * kPageSize2M | kTableFlags | kPtePageSize);
  }
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
  const std::uint64_t top = virtual_address >> 47;
  if (top != 0 && top != 0x1ffff) {
    return unexpected(WalkFault{WalkFault::Reason::kNonCanonical, 0});
  }
  Translation t;
  t.writable = t.user = true;
  std::uint64_t table = cr3 & kPteAddressMask;
  for (int level = 4; level >= 1; --level) {
    const int shift = 12 + 9 * (level - 1);
    const std::uint64_t index = (virtual_address >> shift) & (kEntries - 1);
    std::uint64_t entry = 0;
    try {
      entry = memory.read_obj<std::uint64_t>(GuestAddress(table + index * 8));
    } catch (const GuestMemoryError&) {
      return unexpected(WalkFault{WalkFault::Reason::kOutsideRam, level});
    }
    if (!(entry & kPtePresent)) return unexpected(WalkFault{WalkFault::Reason::kNotPresent, level});
    const bool huge = (level == 3 || level == 2) && (entry & kPtePageSize);
    if (entry & reserved_bits(level, huge)) {
      return unexpected(WalkFault{WalkFault::Reason::kReservedBit, level});
    }
    t.writable = t.writable && (entry & kPteWritable);
    t.user = t.user && (entry & kPteUser);
    t.executable = t.executable && !(entry & kPteNoExecute);
    if (huge || level == 1) {
      t.page_size = 1ull << shift;
      const std::uint64_t base = entry & kPteAddressMask & ~(t.page_size - 1);
      t.physical = GuestAddress(base | (virtual_address & (t.page_size - 1)));
      return t;
    }
    table = entry & kPteAddressMask;
  }
  // END LAB
  return unexpected(WalkFault{WalkFault::Reason::kNotPresent, 1});  // not reached
}

}  // namespace uh::vmm
