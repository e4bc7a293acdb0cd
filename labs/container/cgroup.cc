// Your workspace for chapter 04: write the code where the LAB markers are.
// Made from solutions/container/cgroup.cc by ci/labgen.py; `./lab test 04` checks your work,
// `./lab hint 04` helps, `./lab reset 04` brings this skeleton back.
// container/cgroup.cc — the front end: which layout the host has, the
// shares/weight conversion, /proc/self/cgroup, and the helpers the drivers share.
#include "container/cgroup.h"

#include <fcntl.h>
#include <linux/magic.h>  // CGROUP2_SUPER_MAGIC, TMPFS_MAGIC
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>  // statfs
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <utility>

#include "container/cgroup_drivers.h"
#include "support/sys_error.h"
#include "support/unique_fd.h"
#include "support/todo.h"

namespace uh::container {

namespace fs = std::filesystem;

std::string to_string(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::kUnified:
      return "unified";
    case CgroupMode::kLegacy:
      return "legacy";
    case CgroupMode::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

CgroupMode detect_cgroup_mode(const fs::path& root) {
  // LAB(04.5) Ask statfs which filesystem is mounted at root (and at
  // root/unified) and name the mode: cgroup2 is unified, a tmpfs is legacy or hybrid.
  throw uh::Todo("04.5",
                 "Ask statfs which filesystem is mounted at root (and at root/unified) and name "
                 "the mode: cgroup2 is unified, a tmpfs is legacy or hybrid.");
  // END LAB
}

// crun's linear map (crun.1.md, section CGROUP v2, up to crun 1.22) sends
// shares [2, 262144] onto weight [1, 10000]. The products reach about 2.6e9,
// past a 32-bit int, hence the 64-bit arithmetic throughout.
namespace {
constexpr std::uint64_t kMinShares = 2;
constexpr std::uint64_t kMaxShares = 262'144;
constexpr std::uint64_t kMinWeight = 1;
constexpr std::uint64_t kMaxWeight = 10'000;
constexpr std::uint64_t kSharesSpan = kMaxShares - kMinShares;  // 262142
constexpr std::uint64_t kWeightSpan = kMaxWeight - kMinWeight;  // 9999
}  // namespace

std::uint64_t cpu_shares_to_weight(std::uint64_t shares) {
  if (shares == 0) return 0;  // "not set" stays not set
  shares = std::clamp(shares, kMinShares, kMaxShares);
  return kMinWeight + ((shares - kMinShares) * kWeightSpan) / kSharesSpan;
}

std::uint64_t cpu_weight_to_shares(std::uint64_t weight) {
  if (weight == 0) return 0;
  weight = std::clamp(weight, kMinWeight, kMaxWeight);
  // crun documents only shares -> weight. This is its inverse, rounded up:
  // the smallest shares that cpu_shares_to_weight maps back onto `weight`,
  // so weight -> shares -> weight gives back exactly the weight written.
  return kMinShares + ((weight - kMinWeight) * kSharesSpan + kWeightSpan - 1) / kWeightSpan;
}

namespace {

// One line of /proc/self/cgroup: "ID:CONTROLLERS:PATH", e.g. "4:memory:/user.slice"
// or "0::/init.scope" for the cgroup2 tree (cgroups(7)).
struct SelfCgroupLine {
  std::string id;
  std::vector<std::string> controllers;
  std::string controllers_field;  // as written, e.g. "cpu,cpuacct"
  std::string path;
};

std::vector<SelfCgroupLine> parse_self_cgroup(const std::string& text) {
  std::vector<SelfCgroupLine> lines;
  std::size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    const auto malformed = [&](const std::string& why) {
      return std::runtime_error("/proc/self/cgroup line " + std::to_string(number) + " \"" + line +
                                "\": " + why);
    };
    // The path may itself hold colons, so only the first two separate fields.
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) throw malformed("not ID:CONTROLLERS:PATH");
    SelfCgroupLine entry;
    entry.id = line.substr(0, first);
    entry.controllers_field = line.substr(first + 1, second - first - 1);
    entry.path = line.substr(second + 1);
    if (entry.id.empty() || !std::all_of(entry.id.begin(), entry.id.end(),
                                         [](char c) { return c >= '0' && c <= '9'; })) {
      throw malformed("the hierarchy ID is not a number");
    }
    if (entry.path.empty() || entry.path.front() != '/') {
      throw malformed("the path is not absolute");
    }
    // A path with ".." lies outside our cgroup namespace: we could not see it.
    for (const auto& part : fs::path(entry.path)) {
      if (part == "..") throw malformed("the group is outside this cgroup namespace");
    }
    std::size_t from = 0;
    while (from < entry.controllers_field.size()) {
      std::size_t comma = entry.controllers_field.find(',', from);
      if (comma == std::string::npos) comma = entry.controllers_field.size();
      entry.controllers.push_back(entry.controllers_field.substr(from, comma - from));
      from = comma + 1;
    }
    lines.push_back(std::move(entry));
  }
  return lines;
}

// `mount` joined with a /proc/self/cgroup path. fs::path's operator/ would
// throw `mount` away for an absolute right side, and "/" must not add a slash.
fs::path join_cgroup_path(const fs::path& mount, const std::string& path) {
  const fs::path relative = fs::path(path).relative_path();
  return relative.empty() ? mount : mount / relative;
}

fs::path unified_self_dir(const fs::path& mount, const std::vector<SelfCgroupLine>& lines) {
  for (const auto& line : lines) {
    if (line.id == "0" && line.controllers_field.empty()) return join_cgroup_path(mount, line.path);
  }
  throw std::runtime_error("/proc/self/cgroup has no \"0::\" line for the cgroup2 tree at " +
                           mount.string());
}

std::vector<internal::V1Hierarchy> v1_hierarchies(const fs::path& root,
                                                  const std::vector<SelfCgroupLine>& lines) {
  std::vector<internal::V1Hierarchy> hierarchies;
  std::vector<std::string> ids;  // of the lines used, parallel to `hierarchies`
  for (std::string_view controller : internal::kV1Controllers) {
    const auto line = std::find_if(lines.begin(), lines.end(), [&](const SelfCgroupLine& l) {
      return std::find(l.controllers.begin(), l.controllers.end(), controller) !=
             l.controllers.end();
    });
    if (line == lines.end()) {
      throw std::runtime_error("/proc/self/cgroup lists no v1 hierarchy with the " +
                               std::string(controller) + " controller; is it mounted at " +
                               (root / controller).string() + "?");
    }
    // Controllers mounted together ("cpu,cpuacct") share one directory.
    const auto same = std::find(ids.begin(), ids.end(), line->id);
    if (same != ids.end()) {
      hierarchies[same - ids.begin()].controllers.emplace_back(controller);
      continue;
    }
    // systemd mounts "cpu,cpuacct" and links "cpu" and "cpuacct" to it; take
    // the controller's own name when it is there.
    fs::path mount = root / controller;
    if (!fs::exists(mount) && fs::exists(root / line->controllers_field)) {
      mount = root / line->controllers_field;
    }
    hierarchies.push_back({{std::string(controller)}, join_cgroup_path(mount, line->path)});
    ids.push_back(line->id);
  }
  return hierarchies;
}

}  // namespace

std::unique_ptr<CgroupDriver> make_cgroup_driver(CgroupMode mode, const fs::path& root,
                                                 const std::string& self_cgroup) {
  const std::vector<SelfCgroupLine> lines = parse_self_cgroup(self_cgroup);
  switch (mode) {
    case CgroupMode::kUnified:
      return internal::make_unified_driver(unified_self_dir(root, lines));
    case CgroupMode::kLegacy:
      return internal::make_legacy_driver(v1_hierarchies(root, lines));
    case CgroupMode::kHybrid:
      return internal::make_hybrid_driver(
          internal::make_legacy_driver(v1_hierarchies(root, lines)),
          internal::make_unified_driver(unified_self_dir(root / "unified", lines)));
  }
  throw std::invalid_argument("make_cgroup_driver: unknown cgroup mode");
}

std::unique_ptr<CgroupDriver> host_cgroup_driver() {
  const fs::path root = "/sys/fs/cgroup";
  const CgroupMode mode = detect_cgroup_mode(root);
  return make_cgroup_driver(mode, root, internal::read_file("/proc/self/cgroup"));
}

// ---------------------------------------------------------------- shared helpers

namespace internal {

namespace {

// What to try when the kernel refuses `file`, by the error it gave.
std::string advice_for(const fs::path& file, int err) {
  const std::string name = file.filename().string();
  const std::string controller = name.substr(0, name.find('.'));
  switch (err) {
    case ENOENT:
      if (controller == "cgroup") return "does the group exist?";
      return "is the " + controller + " controller enabled for this group?";
    case EACCES:
    case EPERM:
      return "are you root, or was this subtree delegated to you?";
    case EBUSY:
      if (controller == "memory") return "usage is above that limit and could not be reclaimed";
      if (name == "cgroup.subtree_control" || name == "cgroup.procs") {
        return "the no-internal-processes rule: a group holds processes or enables controllers "
               "for its children, not both";
      }
      return {};
    case EINVAL:
    case ERANGE:
      return "the kernel does not accept this value here";
    case ESRCH:
      return "no such process";
    default:
      return {};
  }
}

}  // namespace

std::optional<std::string> read_file_if_exists(const fs::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw SysError("open", file.string(), errno);
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("read", file.string(), errno);
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

std::string read_file(const fs::path& file) {
  std::optional<std::string> text = read_file_if_exists(file);
  if (!text) throw SysError("open", file.string(), ENOENT, advice_for(file, ENOENT));
  return std::move(*text);
}

namespace {

std::optional<std::uint64_t> parse_number(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::uint64_t> read_number_if_exists(const fs::path& file) {
  const std::optional<std::string> text = read_file_if_exists(file);
  if (!text) return std::nullopt;
  const std::optional<std::uint64_t> value = parse_number(*text);
  if (!value) {
    throw std::runtime_error(file.string() + ": \"" + *text + "\" is not a number");
  }
  return value;
}

std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key,
                                         const fs::path& file) {
  // Look the key up by name, never by line number: kernels add keys.
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ') {
      const std::optional<std::uint64_t> value = parse_number(line.substr(key.size() + 1));
      if (!value) {
        throw std::runtime_error(file.string() + ": \"" + std::string(line) +
                                 "\" does not end in a number");
      }
      return value;
    }
  }
  return std::nullopt;
}

void write_file(const fs::path& file, std::string_view value) {
  const std::string what = "\"" + std::string(value) + "\" to " + file.string();
  // O_TRUNC means nothing to cgroupfs, but keeps a fake tree's files exact.
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) throw SysError("write", what, errno, advice_for(file, errno));
  // Cgroup files take a value in one write: that is where the kernel checks it.
  const ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) throw SysError("write", what, errno, advice_for(file, errno));
  if (static_cast<std::size_t>(n) != value.size()) {
    throw std::runtime_error("write " + what + ": only " + std::to_string(n) + " bytes taken");
  }
}

void check_limit(const fs::path& file, std::int64_t value) {
  if (value < -1) {
    throw std::invalid_argument(file.string() + ": " + std::to_string(value) +
                                " is not a limit (use -1 for none)");
  }
}

void check_weight(const fs::path& file, std::uint64_t weight) {
  if (weight < kMinWeight || weight > kMaxWeight) {
    throw std::invalid_argument(file.string() + ": cpu weight " + std::to_string(weight) +
                                " is outside 1..10000");
  }
}

std::string max_or_number(std::int64_t value) {
  return value == -1 ? "max" : std::to_string(value);
}

std::vector<pid_t> read_procs(const fs::path& dir) {
  const fs::path file = dir / "cgroup.procs";
  const std::optional<std::string> text = read_file_if_exists(file);
  std::vector<pid_t> pids;
  if (!text) return pids;
  std::size_t start = 0;
  while (start < text->size()) {
    std::size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    const std::string_view line = std::string_view(*text).substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    // Never let 0 or a negative number through: kill() would take them as
    // "my process group" or "every process I may signal".
    const std::optional<std::uint64_t> pid = parse_number(line);
    if (!pid || *pid == 0 || *pid > static_cast<std::uint64_t>(INT32_MAX)) {
      throw std::runtime_error(file.string() + ": \"" + std::string(line) + "\" is not a PID");
    }
    pids.push_back(static_cast<pid_t>(*pid));
  }
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

void kill_each(const std::vector<pid_t>& pids, const fs::path& group) {
  for (pid_t pid : pids) {
    if (pid <= 0) continue;  // read_procs never yields these; kill() must never see them
    if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
      throw SysError("kill", "process " + std::to_string(pid) + " in " + group.string(), errno);
    }
  }
}

bool wait_until(const std::function<bool()>& done) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + kSettleTimeout;
  std::chrono::milliseconds pause{1};
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds{20});
  }
}

// ---------------------------------------------------------------- GroupDir

namespace {

fs::path checked_group_name(const std::string& name) {
  const fs::path relative(name);
  bool valid = !name.empty() && relative.is_relative();
  for (const auto& part : relative) {
    if (part.empty() || part == "." || part == "..") valid = false;
  }
  if (!valid) {
    throw std::invalid_argument("cgroup name \"" + name +
                                "\" must be a relative path without \".\" or \"..\"");
  }
  return relative;
}

}  // namespace

void GroupDir::open(const std::string& name) {
  if (created()) throw std::logic_error("cgroup " + dir_.string() + " is created already");
  const fs::path leaf = base_ / checked_group_name(name);
  struct stat st {};
  if (::stat(leaf.c_str(), &st) != 0) throw SysError("stat", leaf.string(), errno);
  if (!S_ISDIR(st.st_mode)) throw SysError("open", leaf.string(), ENOTDIR);
  made_ = {leaf};
  dir_ = leaf;
}

void GroupDir::create(const std::string& name,
                      const std::function<void(const fs::path&)>& before_mkdir) {
  if (created()) throw std::logic_error("cgroup " + dir_.string() + " is created already");
  const fs::path relative = checked_group_name(name);
  const fs::path leaf = base_ / relative;
  // Another launcher sharing a parent such as "uh-test" may remove it between
  // our finding it and our mkdir below it; then make it ourselves, a few times.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    fs::path at = base_;
    bool vanished = false;
    try {
      for (const auto& part : relative) {
        if (before_mkdir) before_mkdir(at);
        at /= part;
        if (::mkdir(at.c_str(), 0755) == 0) {
          made_.push_back(at);
          continue;
        }
        const int err = errno;
        if (err == EEXIST && at != leaf) continue;  // a shared parent
        if (err == ENOENT && at.parent_path() != base_ && attempt < kAttempts) {
          vanished = true;
          break;
        }
        std::string advice;
        if (err == EEXIST)
          advice = "a group of that name exists already; remove it or pick another";
        if (err == ENOENT) advice = "is " + base_.string() + " (from /proc/self/cgroup) there?";
        if (err == EACCES || err == EPERM) {
          advice = "are you root, or was this subtree delegated to you?";
        }
        throw SysError("mkdir", at.string(), err, advice);
      }
    } catch (...) {
      abandon();
      throw;
    }
    if (!vanished) break;
  }
  dir_ = leaf;
}

void GroupDir::remove_dirs() {
  if (!dir_.empty()) {
    // The last process may still be on its way out: EBUSY for a moment is normal.
    int err = 0;
    wait_until([&] {
      err = ::rmdir(dir_.c_str()) == 0 || errno == ENOENT ? 0 : errno;
      return err != EBUSY;
    });
    if (err != 0) {
      throw SysError("rmdir", dir_.string(), err,
                     err == EBUSY ? "processes or child groups are still in it" : "");
    }
  }
  // Then the parents we made, deepest first, while nobody else uses them.
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
    if (*it == dir_) continue;
    if (::rmdir(it->c_str()) != 0 && errno != ENOENT) break;
  }
  made_.clear();
}

void GroupDir::abandon() noexcept {
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
    if (::rmdir(it->c_str()) != 0 && errno != ENOENT) break;
  }
  made_.clear();
  dir_.clear();
}

}  // namespace internal

}  // namespace uh::container
