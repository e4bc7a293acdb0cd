// vmm/virtio/queue.h — a split virtqueue, seen from the device side.
//
// Owns: the device's view of one queue: where its three areas are in guest
// RAM, and how far the device has read (last_avail_). The areas themselves
// live in guest RAM and are written by the driver (VIRTIO 1.2, 2.7 "Split
// Virtqueues"):
//
//   descriptor table  size x 16 bytes   {addr u64, len u32, flags u16, next u16}
//   available ring    6 + 2 x size      {flags, idx, ring[size], used_event}   driver -> device
//   used ring         6 + 8 x size      {flags, idx, ring[size]{id, len}, avail_event}  device ->
//   driver
//
// The driver puts the head of a descriptor chain in avail.ring and bumps
// avail.idx; the device walks the chain, does the work, writes {head, bytes
// written} into used.ring and bumps used.idx.
//
// Everything in these areas is the guest's to write, at any time, with any
// value. pop() checks each value before using it and returns a QueueError
// for a broken promise, never crashes, hangs or touches memory outside guest
// RAM. The spec section each check enforces is cited beside it. Not
// thread-safe: one vCPU thread drives a queue.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "support/expected.h"
#include "vmm/memory/guest_memory.h"

namespace uh::vmm::virtio {

inline constexpr std::uint16_t kDescNext = 1;
inline constexpr std::uint16_t kDescWrite = 2;
inline constexpr std::uint16_t kDescIndirect = 4;

/// The largest queue this VMM offers (QueueNumMax).
inline constexpr std::uint16_t kMaxQueueSize = 256;

/// One descriptor of a chain, checked: its bytes are inside guest RAM.
struct Buffer {
  GuestAddress address;
  std::uint32_t length = 0;
  bool device_writable = false;
  std::span<std::uint8_t> bytes;  ///< the host view of [address, address + length)
};

/// A chain the driver made available: its head's index and its buffers, the
/// device-readable ones first (2.7.4.2), then the device-writable ones.
struct Chain {
  std::uint16_t head = 0;
  std::vector<Buffer> buffers;

  /// Total bytes of the device-readable / device-writable buffers.
  std::uint64_t readable_bytes() const;
  std::uint64_t writable_bytes() const;
  /// Copies up to `out.size()` bytes from the readable buffers, starting at
  /// `offset` into them as if they were one; returns the count copied.
  std::size_t read(std::uint64_t offset, std::span<std::uint8_t> out) const;
  /// Copies `in` into the writable buffers at `offset`; returns the count copied.
  std::size_t write(std::uint64_t offset, std::span<const std::uint8_t> in) const;
};

/// A broken promise in the driver's half of a queue.
struct QueueError {
  std::string what;  ///< which rule, which index, which value
};

class SplitQueue {
 public:
  /// Where the driver put the three areas (from the transport's registers).
  struct Layout {
    std::uint16_t size = 0;
    GuestAddress descriptors, available, used;
  };

  /// Checks `layout` (2.7: a size that is a power of 2 up to kMaxQueueSize;
  /// the table in 2.7: alignment 16/2/4; each area wholly inside guest RAM) and returns
  /// the queue, or what is wrong. REQUIRES: `memory` outlives the queue.
  static Expected<SplitQueue, QueueError> create(const GuestMemory& memory, Layout layout);

  /// The next chain the driver made available, nothing when there is none,
  /// or an error. Checks: avail.idx did not run more than `size` ahead of
  /// what the device has taken (2.7.13.3); the head and every `next` are
  /// below `size` (2.7.5); a chain is at most `size` long, which also stops
  /// a loop (2.7.5.2, 2.7.5.3.1); no INDIRECT (not offered, 2.7.5.3.1); no readable
  /// descriptor after a writable one (2.7.4.2); every buffer inside RAM.
  std::optional<Expected<Chain, QueueError>> pop();

  /// Returns chain `head` to the driver with `written` bytes written to its
  /// writable buffers (2.7.8): the used element first, then used.idx.
  void push_used(std::uint16_t head, std::uint32_t written);

  const Layout& layout() const { return layout_; }
  /// How many chains the device has taken so far (wraps at 2^16).
  std::uint16_t last_available() const { return last_avail_; }

 private:
  SplitQueue(const GuestMemory& memory, Layout layout) : memory_(&memory), layout_(layout) {}

  const GuestMemory* memory_;
  Layout layout_;
  std::uint16_t last_avail_ = 0;
  std::uint16_t used_idx_ = 0;
};

}  // namespace uh::vmm::virtio
