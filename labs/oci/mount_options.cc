// Your workspace for chapter 05: write the code where the LAB markers are.
// Made from solutions/oci/mount_options.cc by ci/labgen.py; `./lab test 05` checks your work,
// `./lab hint 05` helps, `./lab reset 05` brings this skeleton back.
#include "oci/mount_options.h"

#include <sys/mount.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include "support/todo.h"

namespace uh::oci {

namespace fs = std::filesystem;

namespace {

// One option that maps onto a flag: `clear` options take it away again.
struct FlagOption {
  const char* name;
  bool clear;
  unsigned long flag;
};

// config.md lists these; the same table as runc's libcontainer/specconv.
constexpr std::array<FlagOption, 24> kFlags = {{
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
}};

struct PropagationOption {
  const char* name;
  unsigned long flags;
};

constexpr std::array<PropagationOption, 8> kPropagation = {{
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
}};

// Options a runtime may see that change nothing in mount(2) itself.
constexpr std::array<const char*, 3> kIgnored = {"tmpcopyup", "notmpcopyup", "nocopyup"};

}  // namespace

bool MountOptions::bind() const { return (flags & MS_BIND) != 0; }

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  // LAB(05.1) Sort each option into flags (set, or cleared by its opposite), propagation,
  // or filesystem data; "rbind" is MS_BIND | MS_REC; refuse "" and "idmap".
  throw uh::Todo("05.1",
                 "Sort each option into flags (set, or cleared by its opposite), propagation, or "
                 "filesystem data; \"rbind\" is MS_BIND | MS_REC; refuse \"\" and \"idmap\".");
  // END LAB
  return out;
}

fs::path secure_join(const fs::path& rootfs, const fs::path& path) {
  // LAB(05.6) Walk `path` one component at a time below rootfs: ".." pops (never above
  // rootfs), a symlink's target is walked in its place (absolute: from rootfs), at most 40 links.
  throw uh::Todo("05.6",
                 "Walk `path` one component at a time below rootfs: \"..\" pops (never above "
                 "rootfs), a symlink's target is walked in its place (absolute: from rootfs), at "
                 "most 40 links.");
  // END LAB
}

}  // namespace uh::oci
