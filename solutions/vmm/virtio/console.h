// vmm/virtio/console.h — virtio-console: one port, bytes in and out.
//
// Owns: what the guest has written, and input waiting for the guest. Queue 0
// (receiveq) holds device-writable buffers the driver offers for input;
// queue 1 (transmitq) holds device-readable buffers of output (VIRTIO 1.2,
// 5.3.6). No features: one port, no configuration (5.3.3). Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "vmm/virtio/mmio_transport.h"

namespace uh::vmm::virtio {

inline constexpr std::uint32_t kConsoleDeviceId = 3;

class ConsoleDevice : public VirtioDevice {
 public:
  /// `echo`, when set, also receives the guest's output as it arrives.
  explicit ConsoleDevice(std::function<void(std::string_view)> echo = {})
      : echo_(std::move(echo)) {}

  std::uint32_t device_id() const override { return kConsoleDeviceId; }
  std::uint64_t features() const override { return 0; }
  unsigned queue_count() const override { return 2; }
  void read_config(std::uint64_t, std::span<std::uint8_t> data) const override {
    std::fill(data.begin(), data.end(), 0);
  }
  Expected<bool, QueueError> process(unsigned index, SplitQueue& queue) override;

  /// Input for the guest; delivered into receiveq buffers as they come.
  /// Call MmioTransport::kick(0) afterwards to deliver at once.
  void type(std::string_view text) { input_.insert(input_.end(), text.begin(), text.end()); }

  const std::string& output() const { return output_; }

 private:
  std::function<void(std::string_view)> echo_;
  std::string output_;
  std::deque<char> input_;
};

}  // namespace uh::vmm::virtio
