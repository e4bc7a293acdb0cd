// Runs the config.json fuzz target over seeded mutations of real configs as
// an ordinary test: bit flips, truncations, insertions and byte swaps of the
// default config and of a podman-style one with seccomp rules. Fixed seed.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "oci/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main() {
  const std::string seccomp = R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},
    "process":{"args":["sh"],"cwd":"/","env":["PATH=/bin"],
      "rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],
      "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"]}},
    "mounts":[{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=1777","rprivate"]}],
    "hooks":{"poststop":[{"path":"/bin/true","timeout":5}]},
    "linux":{"namespaces":[{"type":"mount"},{"type":"user"}],
      "uidMappings":[{"containerID":0,"hostID":1000,"size":1}],
      "gidMappings":[{"containerID":0,"hostID":1000,"size":1}],
      "resources":{"memory":{"limit":1048576},"pids":{"limit":10},"cpu":{"shares":512,"quota":5000}},
      "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":["SCMP_ARCH_X86_64"],
        "syscalls":[{"names":["read","write","clone"],"action":"SCMP_ACT_ALLOW",
          "args":[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}]}]}}})";
  const std::vector<std::string> seeds = {uh::oci::default_config_json(), seccomp};
  std::mt19937_64 rng(0x05c0f16);
  std::size_t runs = 0;
  for (const std::string& seed : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
    for (int i = 0; i < 6000; ++i) {
      std::string input = seed;
      for (int e = 0; e < 1 + static_cast<int>(rng() % 4) && !input.empty(); ++e) {
        const std::size_t at = rng() % input.size();
        switch (rng() % 5) {
          case 0:
            input[at] = static_cast<char>(input[at] ^ (1u << (rng() % 8)));
            break;
          case 1:
            input.resize(at);
            break;
          case 2:
            input.insert(at, 1, "{}[]\",:0-9e"[rng() % 11]);
            break;
          case 3:
            input.erase(at, 1 + rng() % 8);
            break;
          default:
            std::swap(input[at], input[rng() % input.size()]);
        }
      }
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
      ++runs;
    }
  }
  std::printf("config fuzz replay: %zu inputs, no crash\n", runs);
  return 0;
}
