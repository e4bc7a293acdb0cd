#include "host/probe.h"

#include <linux/magic.h>
#include <sched.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>

#include "host/probe_vm.h"

namespace uh::host {

namespace {

// Guest code for the probes, as machine code. Each byte sequence is small
// enough to read against an instruction table:
//   B0 ib       mov al, ib          E6 ib   out ib, al
//   CC          int3                F4      hlt
//   BF id       mov edi, id         48 0F C7 0F   cmpxchg16b [rdi]
//   8A 04 25 d  mov al, [disp32]
constexpr std::array<std::uint8_t, 5> kRealModeHalt = {0xb0, 0x41, 0xe6, 0x10, 0xf4};
constexpr std::array<std::uint8_t, 6> kInt3 = {0xb0, 0x41, 0xe6, 0x10, 0xcc, 0xf4};
constexpr std::array<std::uint8_t, 5> kInt3Handler = {0xb0, 0x42, 0xe6, 0x10, 0xf4};
constexpr std::array<std::uint8_t, 5> kPageFaultHandler = {0xb0, 0x43, 0xe6, 0x10, 0xf4};
constexpr std::array<std::uint8_t, 21> kLinuxEarly = {
    0xbf, 0x00, 0x80, 0x00, 0x00,              // mov edi, 0x8000
    0x48, 0x0f, 0xc7, 0x0f,                    // cmpxchg16b [rdi]
    0xb0, 0x41, 0xe6, 0x10,                    // out 0x10, 'A'
    0x8a, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00,  // mov al, [0x400000]: not mapped, #PF
    0xf4};

constexpr std::uint64_t kCode = 0x5000;
constexpr std::uint64_t kInt3Vector = 0x6000;
constexpr std::uint64_t kPageFaultVector = 0x6100;

template <std::size_t N>
void place(std::span<std::uint8_t> ram, std::uint64_t at, const std::array<std::uint8_t, N>& code) {
  std::memcpy(ram.data() + at, code.data(), N);
}

ProbeResult probe_kvm() {
  try {
    ProbeVm vm;
    place(vm.ram(), 0x1000, kRealModeHalt);
    vm.enter_real_mode(0x1000);
    ProbeVm::Outcome out = vm.run();
    if (!out.halted || out.port_bytes != "A") {
      return {false, "/dev/kvm opens but a real-mode guest does not run: " + out.stop};
    }
    return {true, "/dev/kvm opens, API version 12, a real-mode guest runs to HLT"};
  } catch (const std::exception& e) {
    return {false, e.what()};
  }
}

ProbeResult probe_guest_exceptions() {
  if (ProbeResult kvm = probe(Capability::kKvm); !kvm.present)
    return {false, "no KVM: " + kvm.detail};
  try {
    ProbeVm vm;
    place(vm.ram(), kCode, kInt3);
    place(vm.ram(), kInt3Vector, kInt3Handler);
    place(vm.ram(), kPageFaultVector, kPageFaultHandler);
    vm.enter_long_mode(kCode, kInt3Vector, kPageFaultVector);
    ProbeVm::Outcome out = vm.run();
    if (out.port_bytes.empty()) {
      return {false, "a long-mode guest does not start: " + out.stop};
    }
    if (out.halted && out.port_bytes == "AB") {
      return {true, "a long-mode guest's int3 reaches its IDT handler"};
    }
    return {false, "int3 through a long-mode guest's IDT ended in " + out.stop};
  } catch (const std::exception& e) {
    return {false, e.what()};
  }
}

ProbeResult probe_linux_guest() {
  if (ProbeResult exceptions = probe(Capability::kGuestExceptions); !exceptions.present) {
    return {false,
            "Linux takes exceptions from its first instructions, and here " + exceptions.detail};
  }
  try {
    ProbeVm vm;
    place(vm.ram(), kCode, kLinuxEarly);
    place(vm.ram(), kInt3Vector, kInt3Handler);
    place(vm.ram(), kPageFaultVector, kPageFaultHandler);
    vm.enter_long_mode(kCode, kInt3Vector, kPageFaultVector);
    ProbeVm::Outcome out = vm.run();
    if (out.halted && out.port_bytes == "AC") {
      return {true, "cmpxchg16b runs and a page fault reaches the guest's #PF handler"};
    }
    if (out.port_bytes.empty())
      return {false, "cmpxchg16b in a long-mode guest ended in " + out.stop};
    return {false, "a page fault in a long-mode guest ended in " + out.stop};
  } catch (const std::exception& e) {
    return {false, e.what()};
  }
}

ProbeResult probe_user_namespaces() {
  // unshare(CLONE_NEWUSER) changes the calling process for good, and fails in
  // a multi-threaded one, so try it in a child.
  pid_t child = ::fork();
  if (child < 0) return {false, std::string("fork: ") + std::strerror(errno)};
  if (child == 0) _exit(::unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return {true, "unshare(CLONE_NEWUSER) succeeds"};
  }
  int err = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  return {false, std::string("unshare(CLONE_NEWUSER): ") +
                     (err != 0 ? std::strerror(err) : "the probe child died")};
}

ProbeResult probe_root() {
  uid_t uid = ::geteuid();
  if (uid == 0) return {true, "running as root"};
  return {false,
          "running as uid " + std::to_string(uid) + ", not root; run the test as root (sudo)"};
}

bool is_filesystem(const char* path, long magic) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && static_cast<long>(fs.f_type) == magic;
}

ProbeResult probe_cgroup(std::string_view wanted) {
  std::string mode = cgroup_mode();
  bool present = mode == wanted;
  std::string detail = mode == "none" ? "no cgroup filesystem at /sys/fs/cgroup"
                                      : "cgroups are in " + mode + " mode";
  if (!present) detail += ", not " + std::string(wanted);
  return {present, detail};
}

ProbeResult run_probe(Capability capability) {
  switch (capability) {
    case Capability::kKvm:
      return probe_kvm();
    case Capability::kGuestExceptions:
      return probe_guest_exceptions();
    case Capability::kLinuxGuest:
      return probe_linux_guest();
    case Capability::kUserNamespaces:
      return probe_user_namespaces();
    case Capability::kRoot:
      return probe_root();
    case Capability::kCgroupV2:
      return probe_cgroup("v2");
    case Capability::kCgroupV1:
      return probe_cgroup("v1");
    case Capability::kCgroupHybrid:
      return probe_cgroup("hybrid");
  }
  return {false, "unknown capability"};
}

}  // namespace

ProbeResult probe(Capability capability) {
  // Recursive: some probes ask for the capability they build on. One probe
  // runs at a time, which also keeps the VM probes' SIGALRM timers apart.
  static std::recursive_mutex mutex;
  static std::map<Capability, ProbeResult> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(capability); it != cache.end()) return it->second;
  ProbeResult result = run_probe(capability);
  cache.emplace(capability, result);
  return result;
}

std::string_view name(Capability capability) {
  switch (capability) {
    case Capability::kKvm:
      return "kvm";
    case Capability::kGuestExceptions:
      return "guest-exceptions";
    case Capability::kLinuxGuest:
      return "linux-guest";
    case Capability::kUserNamespaces:
      return "user-namespaces";
    case Capability::kRoot:
      return "root";
    case Capability::kCgroupV2:
      return "cgroup-v2";
    case Capability::kCgroupV1:
      return "cgroup-v1";
    case Capability::kCgroupHybrid:
      return "cgroup-hybrid";
  }
  return "unknown";
}

const std::vector<Capability>& all_capabilities() {
  static const std::vector<Capability> all = {Capability::kKvm,        Capability::kGuestExceptions,
                                              Capability::kLinuxGuest, Capability::kUserNamespaces,
                                              Capability::kRoot,       Capability::kCgroupV2,
                                              Capability::kCgroupV1,   Capability::kCgroupHybrid};
  return all;
}

std::string cgroup_mode() {
  // The same test runc and youki make: what filesystem is mounted where.
  if (is_filesystem("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) return "v2";
  if (!is_filesystem("/sys/fs/cgroup", TMPFS_MAGIC)) return "none";
  if (is_filesystem("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) return "hybrid";
  return "v1";
}

}  // namespace uh::host
