// Your workspace for chapter 03: write the code where the LAB markers are.
// Made from solutions/vmm/virtio/block.cc by ci/labgen.py; `./lab test 03` checks your work,
// `./lab hint 03` helps, `./lab reset 03` brings this skeleton back.
#include "vmm/virtio/block.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "support/sys_error.h"
#include "support/todo.h"

namespace uh::vmm::virtio {

namespace {

struct [[gnu::packed]] RequestHeader {
  std::uint32_t type;
  std::uint32_t reserved;
  std::uint64_t sector;
};

// The largest request served: a driver asking for more gets IOERR, not a
// host allocation of its choosing.
constexpr std::uint64_t kMaxRequestBytes = 1 << 20;

}  // namespace

BlockDevice::BlockDevice(const std::filesystem::path& file, bool read_only)
    : fd_(::open(file.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC)),
      path_(file),
      read_only_(read_only) {
  if (!fd_) throw SysError("open", file.string(), errno);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw SysError("fstat", file.string(), errno);
  sectors_ = static_cast<std::uint64_t>(st.st_size) / kSectorSize;
}

std::uint64_t BlockDevice::features() const {
  // VIRTIO_BLK_F_RO (5) when read-only.
  return kBlockFeatureFlush | (read_only_ ? 1ull << 5 : 0);
}

void BlockDevice::read_config(std::uint64_t offset, std::span<std::uint8_t> data) const {
  // 5.2.4: capacity (le64) is the first field; the rest are feature-gated.
  std::uint8_t config[8];
  std::memcpy(config, &sectors_, sizeof config);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = offset + i < sizeof config ? config[offset + i] : 0;
  }
}

void BlockDevice::set_features(std::uint64_t features) {
  flush_negotiated_ = (features & kBlockFeatureFlush) != 0;
}

Expected<bool, QueueError> BlockDevice::process(unsigned, SplitQueue& queue) {
  bool any = false;
  // Bounded: at most one pass over the ring, however fast the driver adds.
  for (unsigned n = 0; n < queue.layout().size; ++n) {
    auto next = queue.pop();
    if (!next) break;
    if (!*next) return unexpected(next->error());
    const Chain& chain = next->value();
    auto written = serve(chain);
    if (!written) return unexpected(written.error());
    queue.push_used(chain.head, *written);
    any = true;
  }
  return any;
}

Expected<std::uint32_t, QueueError> BlockDevice::serve(const Chain& chain) {
  ++requests_;
  // LAB(03.3) Serve one request: read the 16-byte header, find the status byte (the last
  // writable byte), check the sector range and length, pread/pwrite the data, write the status.
  throw uh::Todo("03.3",
                 "Serve one request: read the 16-byte header, find the status byte (the last "
                 "writable byte), check the sector range and length, pread/pwrite the data, "
                 "write the status.");
  // END LAB
}

}  // namespace uh::vmm::virtio
