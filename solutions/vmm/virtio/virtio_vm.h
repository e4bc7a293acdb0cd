// vmm/virtio/virtio_vm.h — chapter 03's machine: chapter 02's, plus two virtio devices.
//
// Owns: the long-mode machine, a virtio-blk device backed by a host file and
// a virtio-console, each behind a virtio-mmio transport on the MMIO bus at
// the addresses guest/virtio/scenarios.h names. Not thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "vmm/longmode/long_mode_vm.h"
#include "vmm/virtio/block.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/mmio_transport.h"

namespace uh::vmm::virtio {

class VirtioVm {
 public:
  static constexpr std::uint64_t kBlockMmio = 0x3e000000;
  static constexpr std::uint64_t kConsoleMmio = 0x3e001000;

  struct Options {
    std::filesystem::path disk;                  ///< the block device's backing file (must exist)
    std::uint64_t argument = 0;                  ///< passed in RDI
    std::function<void(std::string_view)> echo;  ///< hypercall and console output, live
  };

  VirtioVm(std::span<const std::uint8_t> elf, Options options);

  LongModeVm::Result run() { return vm_.run(); }

  LongModeVm& machine() { return vm_; }
  MmioTransport& block_transport() { return *block_transport_; }
  MmioTransport& console_transport() { return *console_transport_; }
  BlockDevice& block() { return *block_; }
  ConsoleDevice& console() { return *console_; }

 private:
  LongModeVm vm_;
  std::shared_ptr<BlockDevice> block_;
  std::shared_ptr<ConsoleDevice> console_;
  std::shared_ptr<MmioTransport> block_transport_, console_transport_;
};

}  // namespace uh::vmm::virtio
