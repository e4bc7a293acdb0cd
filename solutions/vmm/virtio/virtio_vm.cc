#include "vmm/virtio/virtio_vm.h"

namespace uh::vmm::virtio {

namespace {

LongModeVm::Options machine_options(VirtioVm::Options& options) {
  LongModeVm::Options o;
  o.argument = options.argument;
  o.echo = options.echo;
  return o;
}

}  // namespace

VirtioVm::VirtioVm(std::span<const std::uint8_t> elf, Options options)
    : vm_(elf, machine_options(options)),
      block_(std::make_shared<BlockDevice>(options.disk)),
      console_(std::make_shared<ConsoleDevice>(options.echo)),
      block_transport_(std::make_shared<MmioTransport>(vm_.memory(), block_)),
      console_transport_(std::make_shared<MmioTransport>(vm_.memory(), console_)) {
  vm_.mmio().insert(BusRange{kBlockMmio, MmioTransport::kWindowSize}, block_transport_);
  vm_.mmio().insert(BusRange{kConsoleMmio, MmioTransport::kWindowSize}, console_transport_);
}

}  // namespace uh::vmm::virtio
