// support/unique_fd.h — the one owner of a file descriptor.
//
// Owns: one file descriptor, closed when the UniqueFd is destroyed or reset.
// Move-only, so exactly one object is responsible for every open descriptor;
// no raw `int fd` crosses an interface in this workbook. Not thread-safe.
#pragma once

#include <utility>

namespace uh {

class UniqueFd {
 public:
  UniqueFd() = default;
  /// Takes ownership of `fd` (which may be -1 for "none").
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  /// The descriptor, still owned by this object; -1 when empty.
  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the current descriptor (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// A descriptor someone else owns, lent for a call: the type says "not
/// mine to close" where a raw int would say nothing. The owner (a UniqueFd)
/// must outlive every use of the loan. Trivially copyable.
class BorrowedFd {
 public:
  /// Nothing lent (get() is -1).
  BorrowedFd() = default;
  /// Lends `owner`'s descriptor; `owner` keeps it and closes it.
  explicit BorrowedFd(const UniqueFd& owner) noexcept : fd_(owner.get()) {}

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

 private:
  int fd_ = -1;
};

}  // namespace uh
