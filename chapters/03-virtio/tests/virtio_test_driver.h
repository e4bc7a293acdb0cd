// Chapter 03 tests — a virtio "driver" that writes a split queue into plain
// memory, as a guest's driver would, so the device side can be tested
// without a guest or KVM.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/queue.h"

namespace uh::vmm::virtio::testing {

struct RawDescriptor {
  std::uint64_t addr;
  std::uint32_t len;
  std::uint16_t flags;
  std::uint16_t next;
};

struct BufferSpec {
  std::uint64_t addr;
  std::uint32_t len;
  bool device_writable;
};

// 1 MiB of RAM; a queue of 8 with its areas at 0x1000, 0x2000 and 0x3000.
class Driver {
 public:
  static constexpr std::uint64_t kDesc = 0x1000, kAvail = 0x2000, kUsed = 0x3000;
  static constexpr std::uint16_t kSize = 8;

  Driver() {
    memory_.add_region(GuestAddress(0), 1 << 20);
    auto q = SplitQueue::create(
        memory_, {kSize, GuestAddress(kDesc), GuestAddress(kAvail), GuestAddress(kUsed)});
    queue_.emplace(std::move(*q));
  }

  GuestMemory& memory() { return memory_; }
  SplitQueue& queue() { return *queue_; }

  void set_descriptor(std::uint16_t index, RawDescriptor d) {
    memory_.write_obj(GuestAddress(kDesc + 16ull * index), d);
  }
  // Writes a chain into free descriptors and returns its head. Descriptors
  // are reused from 0 when the table runs out (the device has used the old
  // chains by then, in these tests).
  std::uint16_t chain(const std::vector<BufferSpec>& buffers) {
    if (next_free_ + buffers.size() > kSize) next_free_ = 0;
    const std::uint16_t head = next_free_;
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      const bool last = i + 1 == buffers.size();
      const std::uint16_t index = next_free_++;
      set_descriptor(index,
                     {buffers[i].addr, buffers[i].len,
                      static_cast<std::uint16_t>((last ? 0 : kDescNext) |
                                                 (buffers[i].device_writable ? kDescWrite : 0)),
                      static_cast<std::uint16_t>(last ? 0 : index + 1)});
    }
    return head;
  }
  // Puts `head` in the available ring and bumps avail.idx.
  void publish(std::uint16_t head) {
    memory_.write_obj<std::uint16_t>(GuestAddress(kAvail + 4 + 2ull * (avail_idx_ % kSize)), head);
    set_avail_idx(static_cast<std::uint16_t>(avail_idx_ + 1));
  }
  void set_avail_idx(std::uint16_t idx) {
    avail_idx_ = idx;
    memory_.write_obj<std::uint16_t>(GuestAddress(kAvail + 2), idx);
  }
  std::uint16_t used_idx() const {
    return memory_.read_obj<std::uint16_t>(GuestAddress(kUsed + 2));
  }
  std::pair<std::uint32_t, std::uint32_t> used(std::uint16_t slot) const {
    const std::uint64_t at = kUsed + 4 + 8ull * slot;
    return {memory_.read_obj<std::uint32_t>(GuestAddress(at)),
            memory_.read_obj<std::uint32_t>(GuestAddress(at + 4))};
  }

 private:
  GuestMemory memory_;
  std::optional<SplitQueue> queue_;
  std::uint16_t next_free_ = 0;
  std::uint16_t avail_idx_ = 0;
};

}  // namespace uh::vmm::virtio::testing
