// oci/mount_options.h — from config.json's mount entries to mount(2) calls.
//
// Owns: nothing; pure functions, tested without mounting anything.
//
// config.json writes a mount's options as strings ("nosuid", "ro",
// "mode=755", "rbind", "rprivate"), but mount(2) wants three different
// things: a flags word, a propagation change (which the kernel takes only in
// a separate call), and a data string it hands to the filesystem. The
// runtime-spec's config.md ("Mounts") and runc's parser fix which strings
// are which; everything unknown is filesystem data.
//
// secure_join() answers the other question a mount asks: where, on the host,
// is the container's "/etc/hosts"? A rootfs is untrusted: its symlinks must be
// followed as if the rootfs were "/", never out of it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace uh::oci {

struct MountOptions {
  unsigned long flags = 0;  ///< MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...
  unsigned long propagation =
      0;              ///< MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE, maybe | MS_REC
  std::string data;   ///< comma-separated filesystem options ("mode=755,size=65536k")
  bool bind() const;  ///< a bind mount ("bind" or "rbind")
};

/// Splits `options`. Flags that clear something ("rw", "suid", "dev", "exec",
/// "atime", ...) clear it; the last of two conflicting options wins, as in
/// mount(8). Throws std::invalid_argument for options this runtime cannot
/// honour ("idmap") and for an empty option string.
MountOptions parse_mount_options(const std::vector<std::string>& options);

/// The host path of `path` (absolute, inside the container) under `rootfs`,
/// resolving every symlink on the way as the container would see it: an
/// absolute link target restarts at `rootfs`, ".." never climbs above it.
/// Components that do not exist yet are appended as they are. Throws
/// std::runtime_error after 40 links (a loop), as the kernel does (ELOOP).
std::filesystem::path secure_join(const std::filesystem::path& rootfs,
                                  const std::filesystem::path& path);

}  // namespace uh::oci
