// lab run 03 — the guest's own virtio drivers: a sector written in the guest
// and read back on the host from the disk file, a console conversation, and
// a guest that lies about its descriptors.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "guest/virtio/image.h"
#include "guest/virtio/scenarios.h"
#include "vmm/virtio/virtio_vm.h"

namespace {

namespace fs = std::filesystem;
using namespace uh::vmm::virtio;
namespace scenarios = uh::guest::virtio;

VirtioVm::Options options(const fs::path& disk, std::uint64_t scenario) {
  VirtioVm::Options o;
  o.disk = disk;
  o.argument = scenario;
  // Prefix each line the guest prints, however many writes it takes.
  o.echo = [at_line_start = true](std::string_view text) mutable {
    for (char c : text) {
      if (at_line_start) fmt::print("  guest> ");
      std::fputc(c, stdout);
      at_line_start = c == '\n';
    }
  };
  return o;
}

int demo() {
  const fs::path disk = fs::temp_directory_path() / fmt::format("uh-demo-03-{}.img", ::getpid());
  struct Remove {
    fs::path p;
    ~Remove() { fs::remove(p); }
  } remove{disk};
  std::ofstream(disk).close();
  fs::resize_file(disk, 1 << 20);
  fmt::print("A 1 MiB disk image: {}\nThe guest drives virtio-blk at {:#x} by polling:\n",
             disk.string(), VirtioVm::kBlockMmio);
  VirtioVm vm(uh::guest::longmode::kVirtioGuestElf, options(disk, scenarios::kBlockRoundTrip));
  const auto r = vm.run();
  fmt::print("exit({}) after {} exits for {} block requests\n", r.exit_code.value_or(~0ull),
             r.outcome.stats.total, vm.block().requests());
  std::ifstream file(disk, std::ios::binary);
  std::string sector(512, '\0');
  file.seekg(512);
  file.read(sector.data(), 512);
  fmt::print("\nThe host reads sector 1 of {}:\n  {}", disk.filename().string(),
             sector.substr(0, sector.find('\0')));

  fmt::print("\nvirtio-console: the host types \"ping\", the guest answers:\n");
  VirtioVm chat(uh::guest::longmode::kVirtioGuestElf, options(disk, scenarios::kConsoleEcho));
  chat.console().type("ping\n");
  chat.run();

  fmt::print("\nA guest whose descriptor points at itself:\n");
  VirtioVm liar(uh::guest::longmode::kVirtioGuestElf, options(disk, scenarios::kHostileLoop));
  liar.run();
  fmt::print("  the VMM: {} (status {:#x}: DEVICE_NEEDS_RESET)\n",
             liar.block_transport().last_error(), liar.block_transport().status());
  return 0;
}

}  // namespace

int main() {
  try {
    return demo();
  } catch (const std::exception& e) {
    fmt::print(stderr, "lab run 03: {}\n", e.what());
    return 1;
  }
}
