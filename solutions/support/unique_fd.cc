#include "support/unique_fd.h"

#include <unistd.h>

namespace uh {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);  // close() errors on a descriptor we own carry no news
  fd_ = fd;
}

}  // namespace uh
