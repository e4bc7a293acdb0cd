// support/sys_error.h — turning a failed system call into an error a reader can act on.
//
// Owns: nothing. Every wrapper around a system call or ioctl reports failure
// through SysError, so every message has the same shape:
//
//   "<call> <object>: <errno text>[ — <advice>]"
//   e.g. "open /dev/kvm: Permission denied — add yourself to the kvm group"
//
// Never: prints anything or exits; the caller decides what to do with the error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace uh {

/// A failed system call: code() holds errno, what() the whole sentence.
class SysError : public std::system_error {
 public:
  /// `call` failed on `object` with `err`; `advice`, when not empty, says what to do.
  SysError(std::string_view call, std::string_view object, int err, std::string_view advice = {});

  const char* what() const noexcept override { return message_->c_str(); }

 private:
  // Shared so that copying the exception (as the runtime may) cannot throw.
  std::shared_ptr<const std::string> message_;
};

/// Throws SysError(call, object, errno) when `result` is -1; returns `result` otherwise.
/// Use right after the call, before anything can change errno.
long check_sys(long result, std::string_view call, std::string_view object);

}  // namespace uh
