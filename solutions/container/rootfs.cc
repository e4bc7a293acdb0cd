#include "container/rootfs.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace uh::container {

namespace fs = std::filesystem;

fs::path find_static_busybox() {
  // busybox-static installs /bin/busybox; Debian's dynamic busybox package
  // installs the same path, so check that it needs no interpreter.
  for (const char* candidate : {"/bin/busybox", "/usr/bin/busybox"}) {
    std::ifstream in(candidate, std::ios::binary);
    if (!in) continue;
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    if (head.find("/lib64/ld-linux") == std::string::npos &&
        head.find("/lib/ld-linux") == std::string::npos) {
      return candidate;
    }
  }
  return {};
}

void build_busybox_rootfs(const fs::path& dir) {
  fs::path busybox = find_static_busybox();
  if (busybox.empty()) {
    throw std::runtime_error(
        "no statically linked busybox at /bin/busybox: install the package busybox-static "
        "(./lab start does)");
  }
  for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "etc",
                        "root", "var", "run"}) {
    fs::create_directories(dir / d);
  }
  fs::permissions(dir / "tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::copy_file(busybox, dir / "bin/busybox", fs::copy_options::overwrite_existing);
  // One symlink per applet, as `busybox --install -s` would make inside.
  std::unique_ptr<FILE, int (*)(FILE*)> list(::popen((busybox.string() + " --list").c_str(), "r"),
                                             &::pclose);
  if (!list) throw std::runtime_error("could not run " + busybox.string() + " --list");
  char line[256];
  while (std::fgets(line, sizeof(line), list.get())) {
    std::string applet(line);
    while (!applet.empty() && (applet.back() == '\n' || applet.back() == '\r')) applet.pop_back();
    if (applet.empty() || applet == "busybox") continue;
    fs::path link = dir / "bin" / applet;
    std::error_code ec;
    fs::remove(link, ec);
    fs::create_symlink("busybox", link);
  }
  std::ofstream(dir / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                       "nobody:x:65534:65534:nobody:/:/bin/false\n";
  std::ofstream(dir / "etc/group") << "root:x:0:\nnogroup:x:65534:\n";
  std::ofstream(dir / "etc/hostname") << "container\n";
}

}  // namespace uh::container
