// Your workspace for chapter 03: write the code where the LAB markers are.
// Made from solutions/vmm/virtio/mmio_transport.cc by ci/labgen.py; `./lab test 03` checks your work,
// `./lab hint 03` helps, `./lab reset 03` brings this skeleton back.
#include "vmm/virtio/mmio_transport.h"

#include <fmt/format.h>

#include <cstring>
#include "support/todo.h"

namespace uh::vmm::virtio {

namespace {

using namespace uh::virtio_mmio;

void set_low(std::uint64_t& field, std::uint32_t value) {
  field = (field & 0xffffffff00000000ull) | value;
}
void set_high(std::uint64_t& field, std::uint32_t value) {
  field = (field & 0xffffffffull) | (std::uint64_t{value} << 32);
}

}  // namespace

MmioTransport::MmioTransport(const GuestMemory& memory, std::shared_ptr<VirtioDevice> device)
    : memory_(memory), device_(std::move(device)), queues_(device_->queue_count()) {}

void MmioTransport::read(std::uint64_t offset, std::span<std::uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
  if (offset >= kConfig) {
    device_->read_config(offset - kConfig, data);
    return;
  }
  // 4.2.2.2: control registers are read 32 bits wide and aligned; anything
  // else reads as 0 rather than half a register.
  if (data.size() != 4 || offset % 4 != 0) return;
  const std::uint32_t value = read_register(offset);
  std::memcpy(data.data(), &value, 4);
}

void MmioTransport::write(std::uint64_t offset, std::span<const std::uint8_t> data) {
  if (offset >= kConfig) return;  // no writable configuration fields are offered
  if (data.size() != 4 || offset % 4 != 0) return;
  std::uint32_t value = 0;
  std::memcpy(&value, data.data(), 4);
  write_register(offset, value);
}

std::uint32_t MmioTransport::read_register(std::uint64_t offset) {
  const std::uint64_t features = device_->features() | kFeatureVersion1;
  QueueRegisters* q = queue_sel_ < queues_.size() ? &queues_[queue_sel_] : nullptr;
  switch (offset) {
    case kMagicValue:
      return kMagic;
    case kVersion:
      return 2;
    case kDeviceId:
      return device_->device_id();
    case kVendorId:
      return kVendor;
    case kDeviceFeatures:
      return device_features_sel_ == 0   ? static_cast<std::uint32_t>(features)
             : device_features_sel_ == 1 ? static_cast<std::uint32_t>(features >> 32)
                                         : 0;
    case kQueueNumMax:
      return q ? kMaxQueueSize : 0;  // 0: no such queue (4.2.2.2)
    case kQueueReady:
      return q && q->ready ? 1 : 0;
    case kInterruptStatus:
      return interrupt_status_;
    case kStatus:
      return status_;
    case kConfigGeneration:
      return 0;  // the configuration never changes under the driver
    default:
      return 0;
  }
}

void MmioTransport::write_register(std::uint64_t offset, std::uint32_t value) {
  QueueRegisters* q = queue_sel_ < queues_.size() ? &queues_[queue_sel_] : nullptr;
  // LAB(03.2) Handle the driver's register writes: feature selection and the driver's
  // features, the selected queue's size, addresses and ready bit (making the SplitQueue),
  // notify (process the queue, or set NEEDS_RESET), interrupt ack and status.
  throw uh::Todo("03.2",
                 "Handle the driver's register writes: feature selection and the driver's "
                 "features, the selected queue's size, addresses and ready bit (making the "
                 "SplitQueue), notify (process the queue, or set NEEDS_RESET), interrupt ack and "
                 "status.");
  // END LAB
}

void MmioTransport::kick(unsigned index) {
  if (index >= queues_.size()) return;
  QueueRegisters& q = queues_[index];
  // A device that needs a reset, or a driver not yet DRIVER_OK, gets nothing done.
  if (!q.ready || !q.queue || (status_ & kStatusNeedsReset) || !(status_ & kStatusDriverOk)) {
    return;
  }
  const auto done = device_->process(index, *q.queue);
  if (!done) {
    needs_reset(fmt::format("queue {}: {}", index, done.error().what));
    return;
  }
  if (*done) interrupt_status_ |= 1;  // "used buffer notification" (4.2.2)
}

void MmioTransport::set_status(std::uint32_t value) {
  if (value == 0) {
    reset();
    return;
  }
  // FEATURES_OK is the device's to grant (3.1.1 step 5): every feature the
  // driver chose must be offered, and VERSION_1 must be among them.
  if ((value & kStatusFeaturesOk) && !(status_ & kStatusFeaturesOk)) {
    const std::uint64_t offered = device_->features() | kFeatureVersion1;
    if ((driver_features_ & ~offered) != 0 || !(driver_features_ & kFeatureVersion1)) {
      value &= ~kStatusFeaturesOk;
    } else {
      device_->set_features(driver_features_);
    }
  }
  // The device's own bits stay; the driver only adds its own.
  status_ = value | (status_ & kStatusNeedsReset);
}

void MmioTransport::needs_reset(const std::string& why) {
  last_error_ = why;
  status_ |= kStatusNeedsReset;
  interrupt_status_ |= 2;  // "configuration change notification" (2.1.2)
}

void MmioTransport::reset() {
  status_ = 0;
  driver_features_ = 0;
  device_features_sel_ = driver_features_sel_ = queue_sel_ = 0;
  interrupt_status_ = 0;
  for (QueueRegisters& q : queues_) q = QueueRegisters{};
  device_->reset();
}

}  // namespace uh::vmm::virtio
