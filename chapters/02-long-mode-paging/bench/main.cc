// lab bench 02 — how long from process start to the 64-bit guest's exit()?
//
// Two figures, both for the workbook's C++ guest in long mode:
//   1. whole process: spawn a process that builds the VM (RAM, page tables,
//      GDT, the ELF loaded), runs the guest until it calls exit() and halts,
//      and exits; measured from spawn to reaped, as `time` would;
//   2. in process: the same without process start-up.
// Chapter 01's real-mode guest does the same in about 2 ms; the difference is
// what long mode costs: more RAM to map, tables to write, an ELF to check.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "guest/longmode/image.h"
#include "guest/longmode/scenarios.h"
#include "vmm/longmode/long_mode_vm.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 200;

void run_guest() {
  uh::vmm::LongModeVm::Options o;
  o.argument = uh::guest::kHello;
  uh::vmm::LongModeVm vm(uh::guest::longmode::kGuestElf, o);
  if (vm.run().exit_code != 0u) throw std::runtime_error("the guest did not exit(0)");
}

double spawn_ms(const char* self) {
  const char* argv[] = {self, "--child", nullptr};
  const auto start = Clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, self, nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    throw std::runtime_error("posix_spawn failed");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const auto end = Clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("the child failed");
  return std::chrono::duration<double, std::milli>(end - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 2 && std::strcmp(argv[1], "--child") == 0) {
      run_guest();
      return 0;
    }
    std::vector<double> whole, inside;
    for (int i = 0; i < kRounds; ++i) {
      whole.push_back(spawn_ms(argv[0]));
      const auto start = Clock::now();
      run_guest();
      inside.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    fmt::print("64-bit C++ guest, hello + exit(0), {} rounds\n", kRounds);
    fmt::print("  whole process (spawn to reaped): median {:.3f} ms\n", median(whole));
    fmt::print("  in process (VM built to guest exit): median {:.3f} ms\n", median(inside));
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "lab bench 02: {}\n", e.what());
    return 1;
  }
}
