// lab bench 01 — how long from "create a VM" to "the guest halted"?
//
// Two figures, each for our VMM and for the anchor (the same guest run by the
// shortest possible raw-ioctl VMM, bench/raw_vmm.cc), alternated in one run so
// both see the same machine:
//   1. whole process: spawn a process that creates the VM, runs the guest to
//      HLT and exits; measured from spawn to reaped, as `time` would;
//   2. in process: VM creation to guest halt, without process start-up.
// The target is 2 ms for the whole process.
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

#include "guest/realmode/images.h"
#include "raw_vmm.h"
#include "vmm/kvm/real_mode_vm.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
namespace images = uh::guest::realmode;

constexpr int kRounds = 200;
constexpr double kTargetMs = 2.0;

void run_ours() {
  uh::vmm::RealModeVm vm(images::kHello, images::kLoadAddress, {});
  if (vm.run().stop != uh::vmm::RunOutcome::Stop::kHalted) throw std::runtime_error("no halt");
}

void run_raw() {
  if (uh::bench::run_raw_vmm(images::kHello) != 22) throw std::runtime_error("raw: wrong output");
}

double spawn_ms(const char* self, const char* mode) {
  const char* argv[] = {self, "--child", mode, nullptr};
  auto start = Clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, self, nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    throw std::runtime_error("posix_spawn failed");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  auto end = Clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(fmt::format("the {} child failed", mode));
  }
  return std::chrono::duration<double, std::milli>(end - start).count();
}

template <typename F>
double time_ms(F&& f) {
  auto start = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Summary {
  double median;
  double p90;
};

Summary summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 9 / 10]};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::strcmp(argv[1], "--child") == 0) {
      std::strcmp(argv[2], "raw") == 0 ? run_raw() : run_ours();
      return 0;
    }
    fmt::print("lab bench 01: VM created to guest halted, {} rounds each, alternated\n", kRounds);
    std::vector<double> ours_proc, raw_proc, ours_in, raw_in;
    for (int i = 0; i < kRounds; ++i) {
      ours_proc.push_back(spawn_ms(argv[0], "ours"));
      raw_proc.push_back(spawn_ms(argv[0], "raw"));
      ours_in.push_back(time_ms(run_ours));
      raw_in.push_back(time_ms(run_raw));
      if ((i + 1) % 50 == 0) fmt::print("  {}/{} rounds\n", i + 1, kRounds);
    }
    Summary op = summarize(ours_proc), rp = summarize(raw_proc);
    Summary oi = summarize(ours_in), ri = summarize(raw_in);
    fmt::print("\n{:<34} {:>10} {:>10}\n", "", "median ms", "p90 ms");
    fmt::print("{:<34} {:>10.3f} {:>10.3f}\n", "whole process, our VMM", op.median, op.p90);
    fmt::print("{:<34} {:>10.3f} {:>10.3f}\n", "whole process, raw-ioctl anchor", rp.median,
               rp.p90);
    fmt::print("{:<34} {:>10.3f} {:>10.3f}\n", "in process, our VMM", oi.median, oi.p90);
    fmt::print("{:<34} {:>10.3f} {:>10.3f}\n", "in process, raw-ioctl anchor", ri.median, ri.p90);
    fmt::print("\nratio to anchor (whole process): {:.2f}x\n", op.median / rp.median);
    fmt::print("target: whole process <= {:.1f} ms: {} ({:.3f} ms, {:.2f}x the target)\n",
               kTargetMs, op.median <= kTargetMs ? "met" : "not met", op.median,
               op.median / kTargetMs);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "uh-bench-01: {}\n", e.what());
    return 1;
  }
}
