// lab bench 03 — sequential reads through the guest's virtio-blk driver,
// against pread of the same file in the same run.
//
// The guest reads the whole disk image in 64 KiB requests, each one chain of
// three descriptors, one notify (an MMIO exit) and one pread in the VMM. The
// anchor reads the same file with pread in 64 KiB pieces from this process.
// Both find the file in the page cache (it is read once before timing), so
// the figure is the cost of the virtualisation, not of the disk. Rounds
// alternate. Printed: MB/s for each, their ratio, and exits per request.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <vector>

#include "guest/virtio/image.h"
#include "guest/virtio/scenarios.h"
#include "vmm/virtio/virtio_vm.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace uh::vmm::virtio;

constexpr std::uint64_t kDiskBytes = 64ull << 20;  // bounded: 64 MiB
constexpr int kRounds = 5;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double pread_all(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("open " + file.string());
  std::vector<char> buffer(64 * 1024);
  const auto start = Clock::now();
  for (off_t at = 0; at < static_cast<off_t>(kDiskBytes); at += 64 * 1024) {
    if (::pread(fd, buffer.data(), buffer.size(), at) != 64 * 1024)
      throw std::runtime_error("pread");
  }
  const double s = seconds_since(start);
  ::close(fd);
  return s;
}

int bench() {
  const fs::path disk = fs::temp_directory_path() / fmt::format("uh-bench-03-{}.img", ::getpid());
  struct Remove {
    fs::path p;
    ~Remove() { fs::remove(p); }
  } remove{disk};
  {
    std::ofstream out(disk, std::ios::binary);
    std::vector<char> chunk(1 << 20, 'x');
    for (std::uint64_t i = 0; i < kDiskBytes; i += chunk.size())
      out.write(chunk.data(), chunk.size());
  }
  pread_all(disk);  // into the page cache
  std::vector<double> guest_mbs, host_mbs, exits_per_request;
  const double mib = static_cast<double>(kDiskBytes) / (1 << 20);
  for (int round = 0; round < kRounds; ++round) {
    VirtioVm::Options o;
    o.disk = disk;
    o.argument = uh::guest::virtio::kBlockReadAll;
    VirtioVm vm(uh::guest::longmode::kVirtioGuestElf, o);
    const auto start = Clock::now();
    const auto r = vm.run();
    const double s = seconds_since(start);
    if (r.exit_code != 0u) throw std::runtime_error("the guest's read failed");
    guest_mbs.push_back(mib / s);
    exits_per_request.push_back(static_cast<double>(r.outcome.stats.total) /
                                static_cast<double>(vm.block().requests()));
    host_mbs.push_back(mib / pread_all(disk));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  fmt::print("sequential read of a {:.0f} MiB image in 64 KiB requests, {} rounds\n", mib, kRounds);
  fmt::print("  guest virtio-blk driver: {:8.1f} MiB/s\n", median(guest_mbs));
  fmt::print("  host pread:              {:8.1f} MiB/s\n", median(host_mbs));
  fmt::print("  ratio guest/pread: {:.2f}   exits per request: {:.2f}\n",
             median(guest_mbs) / median(host_mbs), median(exits_per_request));
  return 0;
}

}  // namespace

int main() {
  try {
    return bench();
  } catch (const std::exception& e) {
    fmt::print(stderr, "lab bench 03: {}\n", e.what());
    return 1;
  }
}
