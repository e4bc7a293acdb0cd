#include "oci/mount_options.h"

#include <sys/mount.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>

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
  for (const std::string& option : options) {
    if (option.empty()) throw std::invalid_argument("mount option \"\" is empty");
    if (option == "rbind") {
      out.flags |= MS_BIND | MS_REC;
      continue;
    }
    if (option == "idmap" || option == "ridmap") {
      throw std::invalid_argument("mount option \"" + option +
                                  "\" (id-mapped mounts) is not supported by this runtime");
    }
    bool known = false;
    for (const FlagOption& f : kFlags) {
      if (option == f.name) {
        out.flags = f.clear ? out.flags & ~f.flag : out.flags | f.flag;
        known = true;
        break;
      }
    }
    for (const PropagationOption& p : kPropagation) {
      if (!known && option == p.name) {
        out.propagation = p.flags;
        known = true;
      }
    }
    for (const char* ignored : kIgnored) {
      if (option == ignored) known = true;
    }
    if (!known) out.data += (out.data.empty() ? "" : ",") + option;
  }
  // END LAB
  return out;
}

fs::path secure_join(const fs::path& rootfs, const fs::path& path) {
  // LAB(05.6) Walk `path` one component at a time below rootfs: ".." pops (never above
  // rootfs), a symlink's target is walked in its place (absolute: from rootfs), at most 40 links.
  std::vector<fs::path> done;  // components resolved so far, below rootfs
  std::vector<fs::path> todo;  // components still to walk, the next one last
  for (const fs::path& part : path.relative_path()) todo.insert(todo.begin(), part);
  int links = 0;
  while (!todo.empty()) {
    const fs::path part = todo.back();
    todo.pop_back();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    fs::path here = rootfs;
    for (const fs::path& d : done) here /= d;
    here /= part;
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(here, ec))) {
      done.push_back(part);
      continue;
    }
    if (++links > 40) {
      throw std::runtime_error("resolving " + path.string() + " in " + rootfs.string() +
                               ": too many levels of symbolic links");
    }
    const fs::path target = fs::read_symlink(here, ec);
    if (ec) throw std::runtime_error("readlink " + here.string() + ": " + ec.message());
    if (target.is_absolute()) done.clear();
    std::vector<fs::path> parts;
    for (const fs::path& p : target.relative_path()) parts.push_back(p);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
  }
  fs::path out = rootfs;
  for (const fs::path& d : done) out /= d;
  return out;
  // END LAB
}

}  // namespace uh::oci
