// lab bench 05 — `run` of /bin/true, uhrun against runc, on the same bundle.
//
// Each round runs the whole lifecycle, create + start + wait + delete, as one
// `run` command, the way a serverless platform starts a short function. The
// two runtimes alternate, round after round, so that a slow moment of the
// machine hits both. Printed: median and 90th percentile wall time of each,
// and the ratio of the medians (the chapter's goal: uhrun at most 0.25 of runc).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "run_program.h"

namespace {

using uh::oci::support::DemoBundle;
using uh::oci::support::run_program;
using Clock = std::chrono::steady_clock;

constexpr int kWarmup = 3;
constexpr int kRounds = 40;  // per runtime: bounded, a few seconds in all

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

int bench() {
  if (::geteuid() != 0) {
    fmt::print(stderr, "lab bench 05 runs containers: run it as root (sudo ./lab bench 05)\n");
    return 1;
  }
  const std::string runc = "/usr/sbin/runc";
  if (!std::filesystem::exists(runc)) {
    fmt::print(stderr, "runc is not installed (ci/install-deps installs it)\n");
    return 1;
  }
  const std::string uhrun = UH_UHRUN_BINARY;
  DemoBundle bundle(uhrun, {"/bin/true"});
  struct Runtime {
    std::string name, path;
    std::vector<double> ms;
  };
  std::vector<Runtime> runtimes = {{"uhrun", uhrun, {}}, {"runc", runc, {}}};
  const std::string state_dir = "/run/uh-bench-05-" + std::to_string(::getpid());
  struct RemoveAtEnd {
    std::string dir;
    ~RemoveAtEnd() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{state_dir};
  fmt::print("run of /bin/true on a busybox bundle, {} rounds each, alternating\n", kRounds);
  for (int round = -kWarmup; round < kRounds; ++round) {
    for (Runtime& rt : runtimes) {
      // State on /run (a tmpfs), where both runtimes keep it by default.
      const std::string root = state_dir + "/" + rt.name;
      const std::string id = "bench-" + std::to_string(round + kWarmup);
      const auto start = Clock::now();
      const auto r =
          run_program({rt.path, "--root", root, "run", "--bundle", bundle.bundle().string(), id});
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (r.code != 0) {
        fmt::print(stderr, "{} run failed (exit code {}): {}\n", rt.name, r.code, r.out);
        return 1;
      }
      if (round >= 0) rt.ms.push_back(ms);
    }
  }
  for (const Runtime& rt : runtimes) {
    fmt::print("  {:6} median {:7.2f} ms   p90 {:7.2f} ms\n", rt.name, percentile(rt.ms, 0.5),
               percentile(rt.ms, 0.9));
  }
  const double ratio = percentile(runtimes[0].ms, 0.5) / percentile(runtimes[1].ms, 0.5);
  fmt::print("ratio uhrun/runc (median): {:.2f}   goal: at most 0.25\n", ratio);
  return 0;
}

}  // namespace

int main() {
  try {
    return bench();
  } catch (const std::exception& e) {
    fmt::print(stderr, "lab bench 05: {}\n", e.what());
    return 1;
  }
}
