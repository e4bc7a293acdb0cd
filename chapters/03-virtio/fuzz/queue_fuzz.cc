// Fuzz target for vmm/virtio: a guest may write anything into its queues. The
// input becomes the descriptor table and the available ring of a queue of 8
// in guest RAM (and the rest of a small RAM); the block device then serves
// whatever it can pop. Properties: no crash, no hang, no access outside RAM
// (AddressSanitizer checks every byte), and at most `size` chains per notify.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "vmm/virtio/block.h"
#include "vmm/virtio/queue.h"

namespace {

struct Disk {
  Disk() {
    char name[] = "/tmp/uh-ch03-fuzz-disk-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0 || ::ftruncate(fd, 16 * 512) != 0) std::abort();
    ::close(fd);
    path = name;
    device = std::make_unique<uh::vmm::virtio::BlockDevice>(path);
    ::unlink(name);  // the open descriptor keeps it alive
  }
  std::string path;
  std::unique_ptr<uh::vmm::virtio::BlockDevice> device;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace uh::vmm;
  static Disk disk;
  GuestMemory memory;
  memory.add_region(GuestAddress(0), 64 * 1024);
  // Descriptors at 0x1000 (128 bytes), available ring at 0x2000, used at 0x3000;
  // the input fills them in that order, and what is left lands at 0x4000.
  auto ram = memory.slice(GuestAddress(0), 64 * 1024);
  std::size_t at = 0;
  for (std::uint64_t base : {0x1000u, 0x2000u, 0x4000u}) {
    const std::size_t n = std::min<std::size_t>(size - at, base == 0x4000 ? 0x8000 : 128);
    std::memcpy(ram.data() + base, data + at, n);
    at += n;
  }
  auto queue = virtio::SplitQueue::create(
      memory, {8, GuestAddress(0x1000), GuestAddress(0x2000), GuestAddress(0x3000)});
  if (!queue) std::abort();  // a valid layout must be accepted
  (void)disk.device->process(0, *queue);
  return 0;
}
