// vmm/virtio/block.h — virtio-blk: a disk backed by a host file.
//
// Owns: the open backing file. Each request is a chain (VIRTIO 1.2, 5.2.6):
//
//   header, device-readable  {type u32, reserved u32, sector u64}   16 bytes
//   data buffers             device-writable for a read (IN), readable for a write (OUT)
//   status, device-writable  1 byte: OK 0, IOERR 1, UNSUPP 2
//
// The disk's size in 512-byte sectors is its configuration (capacity, 5.2.4).
// A request outside the disk, a data length that is not whole sectors, or a
// chain without room for the status byte is the driver's mistake: a status
// of IOERR where one can be written, an error (NEEDS_RESET) where not.
// Reads and writes are pread/pwrite at sector x 512; FLUSH is fdatasync,
// and a driver that did not negotiate FLUSH gets every write made durable
// before it completes (5.2.6.2).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>

#include "support/unique_fd.h"
#include "vmm/virtio/mmio_transport.h"

namespace uh::vmm::virtio {

inline constexpr std::uint32_t kBlockDeviceId = 2;
inline constexpr std::uint64_t kBlockFeatureFlush = 1ull << 9;  ///< VIRTIO_BLK_F_FLUSH
inline constexpr std::uint64_t kSectorSize = 512;

inline constexpr std::uint32_t kBlockIn = 0;
inline constexpr std::uint32_t kBlockOut = 1;
inline constexpr std::uint32_t kBlockFlush = 4;
inline constexpr std::uint32_t kBlockGetId = 8;
inline constexpr std::uint8_t kBlockOk = 0;
inline constexpr std::uint8_t kBlockIoError = 1;
inline constexpr std::uint8_t kBlockUnsupported = 2;

class BlockDevice : public VirtioDevice {
 public:
  /// Opens `file` read-write (or read-only); its size, rounded down to whole
  /// sectors, is the disk's. Throws SysError naming the file.
  explicit BlockDevice(const std::filesystem::path& file, bool read_only = false);

  std::uint32_t device_id() const override { return kBlockDeviceId; }
  std::uint64_t features() const override;
  unsigned queue_count() const override { return 1; }
  void read_config(std::uint64_t offset, std::span<std::uint8_t> data) const override;
  Expected<bool, QueueError> process(unsigned index, SplitQueue& queue) override;
  void set_features(std::uint64_t features) override;
  void reset() override { flush_negotiated_ = false; }

  /// Serves one request chain, as process() does for each chain it pops;
  /// returns the bytes written into the chain (data and status), or an
  /// error when the chain has no room for a status byte.
  Expected<std::uint32_t, QueueError> serve(const Chain& chain);

  std::uint64_t capacity_sectors() const { return sectors_; }
  /// Requests served so far (for the benchmark's exits-per-request figure).
  std::uint64_t requests() const { return requests_; }

 private:
  UniqueFd fd_;
  std::filesystem::path path_;
  bool read_only_;
  std::uint64_t sectors_ = 0;
  std::uint64_t requests_ = 0;
  /// Without VIRTIO_BLK_F_FLUSH a write must be durable when it completes
  /// (5.2.6.2): then every write is followed by fdatasync.
  bool flush_negotiated_ = false;
};

}  // namespace uh::vmm::virtio
