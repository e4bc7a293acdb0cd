#include "support/sys_error.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace uh {

namespace {

std::string describe(std::string_view call, std::string_view object, int err,
                     std::string_view advice) {
  std::string what(call);
  if (!object.empty()) {
    what += ' ';
    what += object;
  }
  what += ": ";
  what += std::strerror(err);
  if (!advice.empty()) {
    what += " \u2014 ";
    what += advice;
  }
  return what;
}

}  // namespace

SysError::SysError(std::string_view call, std::string_view object, int err, std::string_view advice)
    : std::system_error(err, std::generic_category()),
      message_(std::make_shared<const std::string>(describe(call, object, err, advice))) {}

long check_sys(long result, std::string_view call, std::string_view object) {
  if (result == -1) throw SysError(call, object, errno);
  return result;
}

}  // namespace uh
