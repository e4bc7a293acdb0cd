#include "vmm/linux/guest_kernel.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "support/sys_error.h"
#include "support/unique_fd.h"

namespace uh::vmm::boot {

std::filesystem::path guest_kernel_dir() {
  if (const char* dir = std::getenv("UH_KERNEL_DIR"); dir != nullptr && *dir != '\0') return dir;
  return UH_DEFAULT_KERNEL_DIR;  // set by this module's CMakeLists.txt
}

std::filesystem::path guest_kernel_image() { return guest_kernel_dir() / "vmlinuz"; }

std::filesystem::path guest_initramfs() { return guest_kernel_dir() / "initramfs.cpio.gz"; }

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", path.string(), errno);
  struct stat st {};
  check_sys(::fstat(fd.get(), &st), "fstat", path.string());
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    check_sys(n, "read", path.string());
    if (n == 0) break;  // the file shrank under us: keep what there is
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace uh::vmm::boot
