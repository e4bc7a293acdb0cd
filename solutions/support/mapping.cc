#include "support/mapping.h"

#include <sys/mman.h>

#include <cerrno>
#include <string>

#include "support/sys_error.h"

namespace uh {

namespace {

std::uint8_t* map_or_throw(int fd, std::size_t size, int flags, std::string_view what) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, fd, 0);
  if (p == MAP_FAILED) {
    throw SysError("mmap", std::string(what) + " (" + std::to_string(size) + " bytes)", errno);
  }
  return static_cast<std::uint8_t*>(p);
}

}  // namespace

Mapping Mapping::anonymous(std::size_t size, std::string_view what) {
  return Mapping(map_or_throw(-1, size, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, what), size);
}

Mapping Mapping::of_fd(int fd, std::size_t size, std::string_view what) {
  return Mapping(map_or_throw(fd, size, MAP_SHARED, what), size);
}

void Mapping::reset() noexcept {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace uh
