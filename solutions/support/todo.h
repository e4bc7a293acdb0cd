// support/todo.h — the exception a lab stub throws.
//
// Owns: nothing. Every LAB region in solutions/ becomes, in labs/, a stub that
// throws uh::Todo with the region's id ("01.3") and its sentence. Tests that
// reach a stub fail with a message naming the id, which is how `lab test`
// tells the reader which TODO to work on next.
// Never: caught and swallowed by workbook code; it must reach the test.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace uh {

/// Thrown by a lab stub that the reader has not written yet.
class Todo : public std::logic_error {
 public:
  /// `id` is the TODO's id ("01.3"); `task` is the sentence from its LAB marker.
  Todo(std::string_view id, std::string_view task);

  /// The TODO's id, e.g. "01.3".
  const std::string& id() const noexcept { return id_; }

 private:
  std::string id_;
};

}  // namespace uh
