// support/mapping.h — the one owner of an mmap'ed range.
//
// Owns: one mapping made by mmap(2), unmapped when the Mapping is destroyed.
// Move-only. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace uh {

class Mapping {
 public:
  Mapping() = default;
  ~Mapping() { reset(); }

  /// Anonymous, shared, read-write memory of `size` bytes, zero-filled.
  /// Throws SysError naming `what` (e.g. "guest RAM") when mmap fails.
  static Mapping anonymous(std::size_t size, std::string_view what);

  /// Maps `size` bytes of the file or device `fd` read-write and shared.
  /// Throws SysError naming `what` when mmap fails.
  static Mapping of_fd(int fd, std::size_t size, std::string_view what);

  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::span<std::uint8_t> bytes() const noexcept { return {data_, size_}; }

  void reset() noexcept;

 private:
  Mapping(std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace uh
