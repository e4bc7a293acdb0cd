#include "vmm/virtio/queue.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace uh::vmm::virtio {

namespace {

struct [[gnu::packed]] Descriptor {
  std::uint64_t addr;
  std::uint32_t len;
  std::uint16_t flags;
  std::uint16_t next;
};
static_assert(sizeof(Descriptor) == 16);

Unexpected<QueueError> error(std::string what) { return unexpected(QueueError{std::move(what)}); }

}  // namespace

std::uint64_t Chain::readable_bytes() const {
  std::uint64_t n = 0;
  for (const Buffer& b : buffers) n += b.device_writable ? 0 : b.length;
  return n;
}

std::uint64_t Chain::writable_bytes() const {
  std::uint64_t n = 0;
  for (const Buffer& b : buffers) n += b.device_writable ? b.length : 0;
  return n;
}

std::size_t Chain::read(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::size_t done = 0;
  for (const Buffer& b : buffers) {
    if (b.device_writable || done == out.size()) continue;
    if (offset >= b.length) {
      offset -= b.length;
      continue;
    }
    const std::size_t n = std::min<std::uint64_t>(b.length - offset, out.size() - done);
    std::memcpy(out.data() + done, b.bytes.data() + offset, n);
    done += n;
    offset = 0;
  }
  return done;
}

std::size_t Chain::write(std::uint64_t offset, std::span<const std::uint8_t> in) const {
  std::size_t done = 0;
  for (const Buffer& b : buffers) {
    if (!b.device_writable || done == in.size()) continue;
    if (offset >= b.length) {
      offset -= b.length;
      continue;
    }
    const std::size_t n = std::min<std::uint64_t>(b.length - offset, in.size() - done);
    std::memcpy(b.bytes.data() + offset, in.data() + done, n);
    done += n;
    offset = 0;
  }
  return done;
}

Expected<SplitQueue, QueueError> SplitQueue::create(const GuestMemory& memory, Layout layout) {
  const std::uint16_t size = layout.size;
  // 2.7 "Queue Size": a power of 2, at most what the device offered.
  if (size == 0 || size > kMaxQueueSize || (size & (size - 1)) != 0) {
    return error(fmt::format("queue size {} is not a power of 2 up to {}", size, kMaxQueueSize));
  }
  // 2.7, the table of alignments: 16, 2 and 4 bytes.
  if (layout.descriptors.value() % 16 || layout.available.value() % 2 || layout.used.value() % 4) {
    return error("queue areas are not aligned (descriptors 16, available 2, used 4 bytes)");
  }
  const struct {
    const char* name;
    GuestAddress at;
    std::uint64_t bytes;
  } areas[] = {{"descriptor table", layout.descriptors, 16ull * size},
               {"available ring", layout.available, 6ull + 2ull * size},
               {"used ring", layout.used, 6ull + 8ull * size}};
  for (const auto& a : areas) {
    try {
      (void)memory.slice(a.at, a.bytes);
    } catch (const GuestMemoryError&) {
      return error(fmt::format("the {} at {:#x} (+{:#x}) is not inside guest RAM", a.name,
                               a.at.value(), a.bytes));
    }
  }
  return SplitQueue(memory, layout);
}

std::optional<Expected<Chain, QueueError>> SplitQueue::pop() {
  const std::uint16_t size = layout_.size;
  const auto avail_idx =
      memory_->read_obj<std::uint16_t>(GuestAddress(layout_.available.value() + 2));
  if (avail_idx == last_avail_) return std::nullopt;
  // LAB(03.1) Take the next head from the available ring and walk its chain: check the
  // index distance, head and next below size, chain length (loops), no INDIRECT, readable
  // before writable, every buffer inside guest RAM.
  // 2.7.13.3: the driver can make at most `size` chains available at once.
  if (static_cast<std::uint16_t>(avail_idx - last_avail_) > size) {
    return error(fmt::format("avail.idx {} is {} ahead of the device's {} (queue size {})",
                             avail_idx, static_cast<std::uint16_t>(avail_idx - last_avail_),
                             last_avail_, size));
  }
  // Read the ring entry only after the index that published it (2.7.13.3.1).
  std::atomic_thread_fence(std::memory_order_acquire);
  const GuestAddress slot(layout_.available.value() + 4 + 2ull * (last_avail_ % size));
  const auto head = memory_->read_obj<std::uint16_t>(slot);
  ++last_avail_;
  if (head >= size) return error(fmt::format("head descriptor {} >= queue size {}", head, size));
  Chain chain;
  chain.head = head;
  std::uint16_t index = head;
  bool seen_writable = false;
  for (std::uint16_t count = 0;; ++count) {
    // 2.7.5.2: no loops; 2.7.5.3.1: a chain is at most `size` long. So a
    // walk past `size` descriptors is a loop, and the bound ends it.
    if (count == size)
      return error(fmt::format("the chain at {} is longer than {}: a loop?", head, size));
    const auto d =
        memory_->read_obj<Descriptor>(GuestAddress(layout_.descriptors.value() + 16ull * index));
    if (d.flags & kDescIndirect) {
      return error(fmt::format("descriptor {} is INDIRECT, a feature not offered", index));
    }
    const bool writable = d.flags & kDescWrite;
    // 2.7.4.2: device-writable descriptors come after every device-readable one.
    if (seen_writable && !writable) {
      return error(fmt::format("descriptor {} is device-readable after a writable one", index));
    }
    seen_writable = seen_writable || writable;
    Buffer b{GuestAddress(d.addr), d.len, writable, {}};
    try {
      b.bytes = memory_->slice(b.address, d.len);
    } catch (const GuestMemoryError&) {
      return error(fmt::format("descriptor {}: [{:#x}, +{:#x}) is not inside guest RAM", index,
                               d.addr, d.len));
    }
    chain.buffers.push_back(b);
    if (!(d.flags & kDescNext)) break;
    if (d.next >= size)
      return error(fmt::format("descriptor {} has next {} >= queue size {}", index, d.next, size));
    index = d.next;
  }
  return chain;
  // END LAB
}

void SplitQueue::push_used(std::uint16_t head, std::uint32_t written) {
  const GuestAddress elem(layout_.used.value() + 4 + 8ull * (used_idx_ % layout_.size));
  memory_->write_obj<std::uint32_t>(elem, head);
  memory_->write_obj<std::uint32_t>(GuestAddress(elem.value() + 4), written);
  // 2.7.8.2: the element must be visible before the index that publishes it.
  std::atomic_thread_fence(std::memory_order_release);
  ++used_idx_;
  memory_->write_obj<std::uint16_t>(GuestAddress(layout_.used.value() + 2), used_idx_);
}

}  // namespace uh::vmm::virtio
