// Your workspace for chapter 05: write the code where the LAB markers are.
// Made from solutions/oci/state.cc by ci/labgen.py; `./lab test 05` checks your work,
// `./lab hint 05` helps, `./lab reset 05` brings this skeleton back.
#include "oci/state.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/sys_error.h"
#include "support/todo.h"

namespace uh::oci {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string to_string(Status status) {
  switch (status) {
    case Status::kCreated:
      return "created";
    case Status::kRunning:
      return "running";
    case Status::kStopped:
      return "stopped";
  }
  return "unknown";
}

namespace {

std::optional<Status> status_from(const std::string& s) {
  for (Status st : {Status::kCreated, Status::kRunning, Status::kStopped}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

json::object annotations_json(const std::map<std::string, std::string>& annotations) {
  json::object o;
  for (const auto& [k, v] : annotations) o[k] = v;
  return o;
}

}  // namespace

std::string state_json(const ContainerState& state, Status status) {
  json::object o;
  o["ociVersion"] = state.oci_version;
  o["id"] = state.id;
  o["status"] = to_string(status);
  o["pid"] = status == Status::kStopped ? 0 : state.pid;
  o["bundle"] = state.bundle;
  o["rootfs"] = state.rootfs;
  o["created"] = state.created;
  o["annotations"] = annotations_json(state.annotations);
  return json::serialize(o);
}

ProcessInfo process_info(pid_t pid) {
  ProcessInfo info;
  if (pid <= 0) return info;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return info;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields start after the last ')'.
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return info;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  std::vector<std::string> rest;
  while (fields >> field) rest.push_back(field);
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  if (rest.size() < 20) return info;
  info.exists = true;
  info.zombie = rest[0] == "Z" || rest[0] == "X";
  info.start_time = std::stoull(rest[19]);
  return info;
}

Status derive_status(const ContainerState& state, const ProcessInfo& now, bool fifo_exists) {
  // LAB(05.3) Stopped unless the init still exists, is no zombie, and started when the
  // recorded one did; then created while the exec FIFO exists, running once it is gone.
  throw uh::Todo("05.3",
                 "Stopped unless the init still exists, is no zombie, and started when the "
                 "recorded one did; then created while the exec FIFO exists, running once it is "
                 "gone.");
  // END LAB
}

void check_container_id(const std::string& id) {
  if (id.empty()) throw std::invalid_argument("container id is empty");
  if (id.size() > 1024) throw std::invalid_argument("container id is longer than 1024 characters");
  if (id == "." || id == "..")
    throw std::invalid_argument("container id \"" + id + "\" is not allowed");
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '+' || c == '-';
    if (!ok) {
      throw std::invalid_argument("container id \"" + id +
                                  "\" may hold only letters, digits and _ . + -");
    }
  }
}

StateStore::StateStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw SysError("mkdir", root_.string(), ec.value(), "is --root writable?");
  ::chmod(root_.c_str(), 0700);
}

namespace {

UniqueFd take_lock(const fs::path& dir) {
  const fs::path file = dir / "lock";
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError("open", file.string(), errno);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw SysError("flock", file.string(), errno);
  }
  return fd;
}

}  // namespace

UniqueFd StateStore::create_dir(const std::string& id) {
  check_container_id(id);
  const fs::path d = dir(id);
  if (::mkdir(d.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw std::runtime_error("container " + id + " already exists");
    throw SysError("mkdir", d.string(), errno);
  }
  return take_lock(d);
}

UniqueFd StateStore::lock(const std::string& id) const {
  check_container_id(id);
  const fs::path d = dir(id);
  if (!fs::is_directory(d)) throw std::runtime_error("container " + id + " does not exist");
  return take_lock(d);
}

void write_file_atomically(const fs::path& file, const std::string& text) {
  // LAB(05.2) Write `text` to a temporary file beside `file`, fsync it, then rename it over
  // `file`: rename is atomic, so a reader never sees half a file. Remove the temp file on failure.
  throw uh::Todo("05.2",
                 "Write `text` to a temporary file beside `file`, fsync it, then rename it over "
                 "`file`: rename is atomic, so a reader never sees half a file. Remove the temp "
                 "file on failure.");
  // END LAB
}

void StateStore::save(const ContainerState& state) const {
  json::object o = json::parse(state_json(state, state.status)).as_object();
  o["pidStartTime"] = state.pid_start_time;
  o["cgroup"] = state.cgroup;
  o["cgroupFromRoot"] = state.cgroup_from_root;
  write_file_atomically(dir(state.id) / "state.json", json::serialize(o));
}

ContainerState StateStore::load(const std::string& id) const {
  check_container_id(id);
  const fs::path file = dir(id) / "state.json";
  std::ifstream in(file);
  if (!in) {
    if (!fs::exists(dir(id))) throw std::runtime_error("container " + id + " does not exist");
    throw std::runtime_error(file.string() + ": missing; the container's create did not finish");
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    const json::object o = json::parse(text.str()).as_object();
    ContainerState s;
    s.oci_version = json::value_to<std::string>(o.at("ociVersion"));
    s.id = json::value_to<std::string>(o.at("id"));
    auto status = status_from(json::value_to<std::string>(o.at("status")));
    if (!status) throw std::runtime_error("unknown status");
    s.status = *status;
    s.pid = static_cast<pid_t>(o.at("pid").to_number<std::int64_t>());
    s.pid_start_time = o.at("pidStartTime").to_number<std::uint64_t>();
    s.bundle = json::value_to<std::string>(o.at("bundle"));
    s.rootfs = json::value_to<std::string>(o.at("rootfs"));
    s.created = json::value_to<std::string>(o.at("created"));
    s.cgroup = json::value_to<std::string>(o.at("cgroup"));
    s.cgroup_from_root = o.at("cgroupFromRoot").as_bool();
    for (const auto& kv : o.at("annotations").as_object()) {
      s.annotations[std::string(kv.key())] = json::value_to<std::string>(kv.value());
    }
    if (s.id != id) throw std::runtime_error("it names container " + s.id);
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + " is corrupt (" + e.what() +
                             "); delete --force removes the container");
  }
}

void StateStore::remove(const std::string& id) const {
  check_container_id(id);
  std::error_code ec;
  fs::remove_all(dir(id), ec);
  if (ec) throw SysError("remove", dir(id).string(), ec.value());
}

std::vector<std::string> StateStore::list() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    if (entry.is_directory()) ids.push_back(entry.path().filename().string());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace uh::oci
