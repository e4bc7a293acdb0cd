#include "support/todo.h"

#include <string>

namespace uh {

namespace {

std::string todo_message(std::string_view id, std::string_view task) {
  std::string chapter(id.substr(0, id.find('.')));
  std::string message = "TODO ";
  message += id;
  message += " is not written yet: ";
  message += task;
  message += " (stuck? run `./lab hint " + chapter + " " + std::string(id) + "`)";
  return message;
}

}  // namespace

Todo::Todo(std::string_view id, std::string_view task)
    : std::logic_error(todo_message(id, task)), id_(id) {}

}  // namespace uh
