// oci/seccomp_filter.h — config.json's linux.seccomp as a libseccomp filter.
//
// Owns: one libseccomp filter context. It is compiled in the runtime before
// the container's init is forked, so that a bad profile is an error before
// anything exists; the init, a copy of the runtime after fork, loads it into
// the kernel as its very last step before execve (config-linux.md "Seccomp").
// Move-only.
#pragma once

#include <memory>

#include "oci/config.h"

namespace uh::oci {

class SeccompFilter {
 public:
  /// Translates `profile`: actions, errno values, architectures and argument
  /// conditions. System call names this kernel and libseccomp do not know are
  /// skipped (a profile written for newer kernels stays usable), as runc does.
  /// Throws ConfigError naming the field for an unknown action, operator or
  /// architecture.
  explicit SeccompFilter(const Seccomp& profile);

  /// Loads the filter into the calling process. With `set_no_new_privs`
  /// false, libseccomp must not set no_new_privs on the way (the spec sets it
  /// only when process.noNewPrivileges asks), so the caller must still hold
  /// CAP_SYS_ADMIN. Throws SysError.
  void load(bool set_no_new_privs) const;

 private:
  std::shared_ptr<void> ctx_;  // scmp_filter_ctx, released with seccomp_release
};

}  // namespace uh::oci
