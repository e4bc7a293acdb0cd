// container/rootfs.h — a small root filesystem for tests and demos.
//
// Owns: nothing; it writes a directory. The rootfs is the distribution's
// statically linked busybox (package busybox-static) plus a symlink for each
// of its applets, the directories a process expects (proc, sys, dev, tmp,
// etc, root), and an /etc/passwd and /etc/group that name root. No download:
// a static binary needs no libraries, so one file is the whole userland.
#pragma once

#include <filesystem>

namespace uh::container {

/// Where the static busybox is, or nothing (install busybox-static).
std::filesystem::path find_static_busybox();

/// Fills `dir` (created if missing) with the busybox rootfs. Throws
/// std::runtime_error saying what to install when no static busybox exists.
void build_busybox_rootfs(const std::filesystem::path& dir);

}  // namespace uh::container
