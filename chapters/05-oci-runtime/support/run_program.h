// Chapter 05 demo and benchmark — running uhrun (or runc) as a child process,
// the way podman does, and a throwaway busybox bundle.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace uh::oci::support {

struct ProgramResult {
  int code = -1;    ///< exit code, or 128 + signal
  std::string out;  ///< stdout and stderr together
};

/// Runs `argv` (argv[0] a path) with stdin from /dev/null and returns its
/// exit code. With `capture`, also what it printed until it exited (a
/// container's init that outlives `create` keeps the pipe open, so this does
/// not wait for end of file); otherwise its output goes to ours.
ProgramResult run_program(const std::vector<std::string>& argv, bool capture = true);

/// A directory under /tmp with a busybox rootfs in rootfs/ and the default
/// config.json of `uhrun spec`, args replaced by `args`. Removed on destruction.
class DemoBundle {
 public:
  DemoBundle(const std::string& uhrun, const std::vector<std::string>& args);
  ~DemoBundle();
  DemoBundle(const DemoBundle&) = delete;
  DemoBundle& operator=(const DemoBundle&) = delete;
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path bundle() const { return dir_ / "bundle"; }

 private:
  std::filesystem::path dir_;
};

}  // namespace uh::oci::support
