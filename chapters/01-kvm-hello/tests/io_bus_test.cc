// Chapter 01 — the I/O bus: ranges map to devices, never overlapping.
#include "vmm/bus/io_bus.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "vmm/bus/debug_console.h"

namespace uh::vmm {
namespace {

// Records every access, answers reads with a fixed byte.
class RecordingDevice : public BusDevice {
 public:
  struct Access {
    bool write;
    std::uint64_t offset;
    std::size_t size;
  };

  void read(std::uint64_t offset, std::span<std::uint8_t> data) override {
    accesses.push_back({false, offset, data.size()});
    for (auto& b : data) b = 0xab;
  }
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    accesses.push_back({true, offset, data.size()});
  }

  std::vector<Access> accesses;
};

TEST(IoBus, AccessReachesTheDeviceWithItsOffset) {
  IoBus bus("test bus");
  auto device = std::make_shared<RecordingDevice>();
  bus.insert(BusRange{0x3f8, 8}, device);

  std::uint8_t byte = 0x41;
  EXPECT_TRUE(bus.write(0x3fb, std::span(&byte, 1)));
  std::uint8_t answer = 0;
  EXPECT_TRUE(bus.read(0x3ff, std::span(&answer, 1)));

  ASSERT_EQ(device->accesses.size(), 2u);
  EXPECT_TRUE(device->accesses[0].write);
  EXPECT_EQ(device->accesses[0].offset, 3u);
  EXPECT_FALSE(device->accesses[1].write);
  EXPECT_EQ(device->accesses[1].offset, 7u);
  EXPECT_EQ(answer, 0xab);
}

TEST(IoBus, AddressesAroundADeviceFindNothing) {
  IoBus bus("test bus");
  auto device = std::make_shared<RecordingDevice>();
  bus.insert(BusRange{0x3f8, 8}, device);
  std::uint8_t byte = 0;
  EXPECT_FALSE(bus.write(0x3f7, std::span(&byte, 1)));
  EXPECT_FALSE(bus.write(0x400, std::span(&byte, 1)));
  EXPECT_FALSE(bus.read(0, std::span(&byte, 1)));
  EXPECT_TRUE(device->accesses.empty());
}

TEST(IoBus, AccessRunningPastADevicesEndFindsNothing) {
  // A 4-byte access at the device's last byte would hand it 3 bytes that are
  // not its own; the bus refuses instead.
  IoBus bus("test bus");
  auto device = std::make_shared<RecordingDevice>();
  bus.insert(BusRange{0x3f8, 8}, device);
  std::uint8_t word[4] = {};
  EXPECT_FALSE(bus.write(0x3ff, word));
  EXPECT_FALSE(bus.read(0x3fd, word));
  EXPECT_TRUE(bus.write(0x3fc, word));  // the last four bytes: fine
  ASSERT_EQ(device->accesses.size(), 1u);
  EXPECT_EQ(device->accesses[0].offset, 4u);
  EXPECT_EQ(device->accesses[0].size, 4u);
}

TEST(IoBus, PicksTheRightDeviceAmongMany) {
  IoBus bus("test bus");
  auto low = std::make_shared<RecordingDevice>();
  auto mid = std::make_shared<RecordingDevice>();
  auto high = std::make_shared<RecordingDevice>();
  bus.insert(BusRange{0x100, 0x10}, mid);
  bus.insert(BusRange{0x10, 0x10}, low);
  bus.insert(BusRange{0x1000, 0x100}, high);
  std::uint8_t byte = 0;
  EXPECT_TRUE(bus.write(0x10f, std::span(&byte, 1)));
  EXPECT_TRUE(bus.write(0x10, std::span(&byte, 1)));
  EXPECT_TRUE(bus.write(0x10ff, std::span(&byte, 1)));
  EXPECT_FALSE(bus.write(0x110, std::span(&byte, 1)));
  ASSERT_EQ(mid->accesses.size(), 1u);
  EXPECT_EQ(mid->accesses[0].offset, 0xfu);
  ASSERT_EQ(low->accesses.size(), 1u);
  EXPECT_EQ(low->accesses[0].offset, 0u);
  ASSERT_EQ(high->accesses.size(), 1u);
  EXPECT_EQ(high->accesses[0].offset, 0xffu);
}

TEST(IoBus, OverlappingRangesAreRejected) {
  IoBus bus("test bus");
  bus.insert(BusRange{0x100, 0x10}, std::make_shared<RecordingDevice>());
  auto other = std::make_shared<RecordingDevice>();
  EXPECT_THROW(bus.insert(BusRange{0x10f, 1}, other), BusError);     // last byte
  EXPECT_THROW(bus.insert(BusRange{0xf0, 0x11}, other), BusError);   // first byte
  EXPECT_THROW(bus.insert(BusRange{0x0, 0x1000}, other), BusError);  // covers it
  EXPECT_THROW(bus.insert(BusRange{0x104, 2}, other), BusError);     // inside it
  bus.insert(BusRange{0x110, 0x10}, other);                          // adjacent is fine
  bus.insert(BusRange{0xf0, 0x10}, std::make_shared<RecordingDevice>());
}

TEST(IoBus, EmptyAndWrappingRangesAreRejected) {
  IoBus bus("test bus");
  auto device = std::make_shared<RecordingDevice>();
  EXPECT_THROW(bus.insert(BusRange{0x10, 0}, device), BusError);
  EXPECT_THROW(bus.insert(BusRange{UINT64_MAX - 3, 5}, device), BusError);
  bus.insert(BusRange{UINT64_MAX - 3, 4}, device);  // ends at the very top: fine
  std::uint8_t byte = 0;
  EXPECT_TRUE(bus.write(UINT64_MAX, std::span(&byte, 1)));
  std::uint8_t pair[2] = {};
  EXPECT_FALSE(bus.write(UINT64_MAX, pair));  // would run past 2^64
  EXPECT_TRUE(bus.write(UINT64_MAX - 1, pair));
}

TEST(IoBus, ErrorNamesTheBusAndBothRanges) {
  IoBus bus("port I/O bus");
  bus.insert(BusRange{0x3f8, 8}, std::make_shared<RecordingDevice>());
  try {
    bus.insert(BusRange{0x3fc, 8}, std::make_shared<RecordingDevice>());
    FAIL() << "expected BusError";
  } catch (const BusError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("port I/O bus"), std::string::npos) << what;
    EXPECT_NE(what.find("0x3fc"), std::string::npos) << what;
    EXPECT_NE(what.find("0x3f8"), std::string::npos) << what;
  }
}

TEST(DebugConsole, CollectsWhatTheGuestWrites) {
  std::string echoed;
  DebugConsole console([&](char c) { echoed += c; });
  const std::uint8_t text[] = {'h', 'i'};
  console.write(0, text);
  std::uint8_t answer = 0;
  console.read(0, std::span(&answer, 1));
  EXPECT_EQ(console.output(), "hi");
  EXPECT_EQ(echoed, "hi");
  EXPECT_EQ(answer, 0xe9);
}

}  // namespace
}  // namespace uh::vmm
