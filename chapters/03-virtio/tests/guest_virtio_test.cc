// Chapter 03 — the workbook's guest drives virtio-blk and virtio-console on real KVM.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "guest/virtio/image.h"
#include "guest/virtio/scenarios.h"
#include "host/require.h"
#include "vmm/virtio/virtio_vm.h"

namespace uh::vmm::virtio {
namespace {

namespace fs = std::filesystem;
namespace scenarios = uh::guest::virtio;
using host::Capability;

static_assert(VirtioVm::kBlockMmio == scenarios::kBlockMmio);
static_assert(VirtioVm::kConsoleMmio == scenarios::kConsoleMmio);

class GuestVirtio : public ::testing::Test {
 protected:
  void SetUp() override {
    UH_REQUIRE(Capability::kKvm);
    char name[] = "/tmp/uh-ch03-guest-disk-XXXXXX";
    const int fd = ::mkstemp(name);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 1 << 20), 0);  // 1 MiB: 2048 sectors
    ::close(fd);
    disk_ = name;
  }
  void TearDown() override {
    if (!disk_.empty()) fs::remove(disk_);
  }
  VirtioVm::Options options(std::uint64_t scenario) {
    VirtioVm::Options o;
    o.disk = disk_;
    o.argument = scenario;
    return o;
  }
  std::string sector(std::uint64_t n, std::size_t bytes = 512) {
    std::ifstream in(disk_, std::ios::binary);
    std::string s(bytes, '\0');
    in.seekg(static_cast<std::streamoff>(n * 512));
    in.read(s.data(), static_cast<std::streamsize>(bytes));
    return s;
  }
  fs::path disk_;
};

TEST_F(GuestVirtio, TheGuestWritesSectorsTheHostReadsInTheFile) {
  VirtioVm vm(guest::longmode::kVirtioGuestElf, options(scenarios::kBlockRoundTrip));
  const auto r = vm.run();
  EXPECT_EQ(r.exit_code, 0u) << vm.machine().output();
  EXPECT_EQ(vm.machine().output(),
            "virtio-blk: 2048 sectors\n"
            "virtio-blk: wrote sector 1 and sectors 8-15, read them back\n");
  const std::string greeting = sector(1);
  EXPECT_EQ(greeting.substr(0, std::strlen(scenarios::kGreeting)), scenarios::kGreeting);
  const std::string pattern = sector(8, 4096);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    ASSERT_EQ(static_cast<std::uint8_t>(pattern[i]), static_cast<std::uint8_t>(i * 7 + 3)) << i;
  }
  EXPECT_EQ(vm.block().requests(), 4u) << "two writes, a flush and a read";
}

TEST_F(GuestVirtio, ReadingPastTheLastSectorGetsIoerrNotACrash) {
  VirtioVm vm(guest::longmode::kVirtioGuestElf, options(scenarios::kBlockBeyondEnd));
  EXPECT_EQ(vm.run().exit_code, 0u);
}

TEST_F(GuestVirtio, AGuestThatLiesAboutDescriptorsGetsNeedsReset) {
  for (std::uint64_t s : {scenarios::kHostileLoop, scenarios::kHostileOutside}) {
    VirtioVm vm(guest::longmode::kVirtioGuestElf, options(s));
    EXPECT_EQ(vm.run().exit_code, 0u) << "scenario " << s << ": " << vm.machine().output();
    EXPECT_TRUE(vm.block_transport().status() & kStatusNeedsReset);
    EXPECT_FALSE(vm.block_transport().last_error().empty());
  }
}

TEST_F(GuestVirtio, TheConsoleCarriesOutputAndInput) {
  VirtioVm vm(guest::longmode::kVirtioGuestElf, options(scenarios::kConsoleEcho));
  vm.console().type("ping\n");
  EXPECT_EQ(vm.run().exit_code, 0u);
  EXPECT_EQ(vm.console().output(), "Hello over virtio-console!\necho: ping\n");
}

TEST_F(GuestVirtio, TheWholeDiskReadsBack) {
  VirtioVm vm(guest::longmode::kVirtioGuestElf, options(scenarios::kBlockReadAll));
  const auto r = vm.run();
  EXPECT_EQ(r.exit_code, 0u);
  EXPECT_EQ(vm.block().requests(), 16u) << "1 MiB in 64 KiB requests";
}

}  // namespace
}  // namespace uh::vmm::virtio
