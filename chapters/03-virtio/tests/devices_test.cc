// Chapter 03 — the virtio-mmio transport and the block and console devices,
// driven over plain memory by a test driver: no guest, no KVM.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "virtio_test_driver.h"
#include "vmm/virtio/block.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/mmio_transport.h"

namespace uh::vmm::virtio {
namespace {

namespace fs = std::filesystem;
using testing::Driver;

// The transport's registers, as a driver reads and writes them.
struct Registers {
  MmioTransport& t;
  std::uint32_t read(std::uint64_t offset) {
    std::uint8_t b[4];
    t.read(offset, b);
    std::uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
  }
  void write(std::uint64_t offset, std::uint32_t v) {
    std::uint8_t b[4];
    std::memcpy(b, &v, 4);
    t.write(offset, b);
  }
  // The handshake of 3.1.1 up to FEATURES_OK, with `features` chosen.
  bool negotiate(std::uint64_t features) {
    write(0x70, 0);
    write(0x70, kStatusAcknowledge);
    write(0x70, kStatusAcknowledge | kStatusDriver);
    write(0x24, 0);
    write(0x20, static_cast<std::uint32_t>(features));
    write(0x24, 1);
    write(0x20, static_cast<std::uint32_t>(features >> 32));
    write(0x70, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
    return read(0x70) & kStatusFeaturesOk;
  }
  // Queue `index` at the test driver's addresses, then DRIVER_OK.
  void queue(std::uint32_t index, std::uint32_t size = Driver::kSize) {
    write(0x30, index);
    write(0x38, size);
    write(0x80, Driver::kDesc);
    write(0x90, Driver::kAvail);
    write(0xa0, Driver::kUsed);
    write(0x44, 1);
  }
  void driver_ok() { write(0x70, read(0x70) | kStatusDriverOk); }
};

class TempFile {
 public:
  explicit TempFile(std::uint64_t bytes) {
    char name[] = "/tmp/uh-ch03-disk-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) throw std::runtime_error("disk");
    ::close(fd);
    path_ = name;
  }
  ~TempFile() { fs::remove(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(MmioTransport, IdentifiesItselfAsAVersion2Device) {
  Driver d;
  TempFile disk(64 * 512);
  MmioTransport t(d.memory(), std::make_shared<BlockDevice>(disk.path()));
  Registers r{t};
  EXPECT_EQ(r.read(0x000), 0x74726976u);
  EXPECT_EQ(r.read(0x004), 2u);
  EXPECT_EQ(r.read(0x008), kBlockDeviceId);
  r.write(0x14, 1);
  EXPECT_EQ(r.read(0x010) & 1, 1u) << "VERSION_1 offered";
  r.write(0x14, 0);
  EXPECT_EQ(r.read(0x010) & (1u << 9), 1u << 9) << "FLUSH offered";
  EXPECT_EQ(r.read(0x100), 64u) << "capacity in sectors";
  std::uint8_t half[2];
  t.read(0x004, half);
  EXPECT_EQ(half[0] | half[1], 0) << "a register read that is not 32 bits wide reads 0";
}

TEST(MmioTransport, FeaturesOkIsRefusedForFeaturesNotOfferedOrWithoutVersion1) {
  Driver d;
  MmioTransport t(d.memory(), std::make_shared<ConsoleDevice>());
  Registers r{t};
  EXPECT_FALSE(r.negotiate(0)) << "a legacy driver (no VERSION_1)";
  EXPECT_FALSE(r.negotiate(kFeatureVersion1 | (1ull << 1))) << "a feature not offered";
  EXPECT_TRUE(r.negotiate(kFeatureVersion1));
}

TEST(MmioTransport, ABrokenQueueSetsNeedsResetUntilTheDriverResets) {
  Driver d;
  TempFile disk(64 * 512);
  MmioTransport t(d.memory(), std::make_shared<BlockDevice>(disk.path()));
  Registers r{t};
  ASSERT_TRUE(r.negotiate(kFeatureVersion1));
  r.queue(0);
  r.driver_ok();
  d.set_descriptor(0, {0x10000, 16, kDescNext, 0});  // a loop
  d.publish(0);
  r.write(0x50, 0);  // notify
  EXPECT_TRUE(r.read(0x70) & kStatusNeedsReset);
  EXPECT_EQ(t.last_error(), "queue 0: the chain at 0 is longer than 8: a loop?");
  EXPECT_EQ(d.used_idx(), 0) << "nothing was used";
  r.write(0x70, 0);
  EXPECT_EQ(r.read(0x70), 0u) << "a reset clears it";
  EXPECT_EQ(r.read(0x44), 0u) << "and the queue";
}

TEST(MmioTransport, AQueueOutsideRamIsRefusedAtQueueReady) {
  Driver d;
  MmioTransport t(d.memory(), std::make_shared<ConsoleDevice>());
  Registers r{t};
  ASSERT_TRUE(r.negotiate(kFeatureVersion1));
  r.write(0x30, 0);
  r.write(0x38, 8);
  r.write(0x80, 0xfffff000);
  r.write(0x84, 0xffffffff);
  r.write(0x44, 1);
  EXPECT_EQ(r.read(0x44), 0u);
  EXPECT_TRUE(r.read(0x70) & kStatusNeedsReset);
}

class Block : public ::testing::Test {
 protected:
  Block()
      : disk_(64 * 512), t_(d_.memory(), device_ = std::make_shared<BlockDevice>(disk_.path())) {
    Registers r{t_};
    r.negotiate(kFeatureVersion1);
    r.queue(0);
    r.driver_ok();
  }
  // A request: header at 0x10000, data at 0x20000 (`len` bytes), status at 0x30000.
  std::uint8_t request(std::uint32_t type, std::uint64_t sector, std::uint32_t len) {
    const std::uint32_t header[4] = {type, 0, static_cast<std::uint32_t>(sector),
                                     static_cast<std::uint32_t>(sector >> 32)};
    d_.memory().write_obj(GuestAddress(0x10000), header);
    d_.memory().write_obj<std::uint8_t>(GuestAddress(0x30000), 0xee);
    std::vector<testing::BufferSpec> chain = {{0x10000, 16, false}};
    if (len) chain.push_back({0x20000, len, type == kBlockIn});
    chain.push_back({0x30000, 1, true});
    d_.publish(d_.chain(chain));
    Registers{t_}.write(0x50, 0);
    return d_.memory().read_obj<std::uint8_t>(GuestAddress(0x30000));
  }
  Driver d_;
  TempFile disk_;
  std::shared_ptr<BlockDevice> device_;
  MmioTransport t_;
};

TEST_F(Block, AWrittenSectorIsInTheFileAndReadsBack) {
  std::vector<std::uint8_t> data(1024);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 13);
  d_.memory().write(GuestAddress(0x20000), data);
  EXPECT_EQ(request(kBlockOut, 3, 1024), kBlockOk);
  std::ifstream file(disk_.path(), std::ios::binary);
  std::vector<char> on_disk(1024);
  file.seekg(3 * 512);
  file.read(on_disk.data(), 1024);
  EXPECT_EQ(std::memcmp(on_disk.data(), data.data(), 1024), 0) << "pwrite at sector 3";
  d_.memory().write(GuestAddress(0x20000), std::vector<std::uint8_t>(1024, 0));
  EXPECT_EQ(request(kBlockIn, 3, 1024), kBlockOk);
  std::vector<std::uint8_t> back(1024);
  d_.memory().read(GuestAddress(0x20000), back);
  EXPECT_EQ(back, data);
  EXPECT_EQ(d_.used(1).second, 1025u) << "the data and the status byte were written";
  EXPECT_EQ(request(kBlockFlush, 0, 0), kBlockOk);
}

TEST_F(Block, RequestsOutsideTheDiskOrOfPartSectorsFailWithIoerr) {
  EXPECT_EQ(request(kBlockIn, 64, 512), kBlockIoError) << "one past the end";
  EXPECT_EQ(request(kBlockIn, 63, 1024), kBlockIoError) << "runs past the end";
  EXPECT_EQ(request(kBlockIn, 0xffffffffffffffffull, 512), kBlockIoError) << "overflow";
  EXPECT_EQ(request(kBlockIn, 0, 100), kBlockIoError) << "not whole sectors";
  EXPECT_EQ(request(99, 0, 0), kBlockUnsupported);
  EXPECT_EQ(t_.status() & kStatusNeedsReset, 0u) << "bad requests are not broken queues";
}

// The request logic alone, on chains made by hand: no queue, no transport.
TEST(BlockRequest, EachKindOfRequestIsServedOrRefusedWithItsStatus) {
  GuestMemory m;
  m.add_region(GuestAddress(0), 1 << 20);
  TempFile disk(16 * 512);
  BlockDevice device(disk.path());
  auto buffer = [&](std::uint64_t at, std::uint32_t len, bool writable) {
    return Buffer{GuestAddress(at), len, writable, m.slice(GuestAddress(at), len)};
  };
  auto request = [&](std::uint32_t type, std::uint64_t sector, std::uint32_t len) {
    const std::uint32_t header[4] = {type, 0, static_cast<std::uint32_t>(sector),
                                     static_cast<std::uint32_t>(sector >> 32)};
    m.write_obj(GuestAddress(0x1000), header);
    Chain c{0, {buffer(0x1000, 16, false)}};
    if (len) c.buffers.push_back(buffer(0x2000, len, type == kBlockIn));
    c.buffers.push_back(buffer(0x3000, 1, true));
    auto written = device.serve(c);
    EXPECT_TRUE(written.has_value());
    return std::pair{m.read_obj<std::uint8_t>(GuestAddress(0x3000)), written ? *written : 0u};
  };
  m.write(GuestAddress(0x2000), std::vector<std::uint8_t>(512, 0x42));
  EXPECT_EQ(request(kBlockOut, 15, 512), (std::pair<std::uint8_t, std::uint32_t>{kBlockOk, 1}));
  m.write(GuestAddress(0x2000), std::vector<std::uint8_t>(512, 0));
  EXPECT_EQ(request(kBlockIn, 15, 512), (std::pair<std::uint8_t, std::uint32_t>{kBlockOk, 513}));
  EXPECT_EQ(m.read_obj<std::uint8_t>(GuestAddress(0x2000 + 511)), 0x42);
  EXPECT_EQ(request(kBlockIn, 16, 512).first, kBlockIoError) << "past the end";
  EXPECT_EQ(request(kBlockIn, 0, 500).first, kBlockIoError) << "a part sector";
  EXPECT_EQ(request(kBlockFlush, 0, 0).first, kBlockOk);
  EXPECT_EQ(request(77, 0, 0).first, kBlockUnsupported);
  Chain no_status{0, {buffer(0x1000, 16, false)}};
  EXPECT_FALSE(device.serve(no_status).has_value()) << "nowhere to put a status: a broken chain";
}

TEST(Console, OutputArrivesAndInputFillsOfferedBuffers) {
  Driver d;
  auto console = std::make_shared<ConsoleDevice>();
  MmioTransport t(d.memory(), console);
  Registers r{t};
  ASSERT_TRUE(r.negotiate(kFeatureVersion1));
  r.queue(1);  // transmitq only, at the driver's addresses
  r.driver_ok();
  const char text[] = "hi!";
  d.memory().write(GuestAddress(0x10000),
                   std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text), 3));
  d.publish(d.chain({{0x10000, 3, false}}));
  r.write(0x50, 1);
  EXPECT_EQ(console->output(), "hi!");
  EXPECT_EQ(r.read(0x60) & 1, 1u) << "a used-buffer notification is flagged";
}

}  // namespace
}  // namespace uh::vmm::virtio
