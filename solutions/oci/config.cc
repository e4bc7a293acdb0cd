#include "oci/config.h"

#include <boost/json.hpp>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace uh::oci {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Bounds on what a config.json may hold. Real configs are far below them
// (podman writes about 400 syscall names); a hostile file is refused.
constexpr std::size_t kMaxFileBytes = 4 << 20;
constexpr std::size_t kMaxArray = 4096;
constexpr std::size_t kMaxString = 64 << 10;
constexpr std::size_t kMaxIdMappings = 340;  // the kernel's own limit (user_namespaces(7))
constexpr int kMaxDepth = 32;

[[noreturn]] void fail(const std::string& field, const std::string& why) {
  throw ConfigError("config.json: " + field + ": " + why);
}

// Typed access to one JSON value, remembering where it is for messages.
class Field {
 public:
  Field(const json::value* v, std::string path) : v_(v), path_(std::move(path)) {}

  bool present() const { return v_ != nullptr && !v_->is_null(); }
  const std::string& path() const { return path_; }

  Field operator[](std::string_view key) const {
    const json::object& o = object();
    auto it = o.find(key);
    return Field(it == o.end() ? nullptr : &it->value(), join(key));
  }

  const json::object& object() const {
    if (!v_ || !v_->is_object()) fail(path_, "must be an object");
    return v_->get_object();
  }
  const json::array& array() const {
    if (!v_ || !v_->is_array()) fail(path_, "must be an array");
    const json::array& a = v_->get_array();
    if (a.size() > kMaxArray) fail(path_, "more than " + std::to_string(kMaxArray) + " entries");
    return a;
  }
  std::vector<Field> items() const {
    std::vector<Field> out;
    const json::array& a = array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      out.emplace_back(&a[i], path_ + "[" + std::to_string(i) + "]");
    }
    return out;
  }
  std::string string() const {
    if (!v_ || !v_->is_string()) fail(path_, "must be a string");
    const json::string& s = v_->get_string();
    if (s.size() > kMaxString) fail(path_, "longer than " + std::to_string(kMaxString) + " bytes");
    if (s.find('\0') != json::string::npos) fail(path_, "contains a NUL byte");
    return std::string(s);
  }
  std::string string_or(const std::string& fallback) const {
    return present() ? string() : fallback;
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    if (!present()) return out;
    for (const Field& f : items()) out.push_back(f.string());
    return out;
  }
  bool boolean_or(bool fallback) const {
    if (!present()) return fallback;
    if (!v_->is_bool()) fail(path_, "must be true or false");
    return v_->get_bool();
  }
  // An integer in [lo, hi]; JSON numbers written as doubles must be whole.
  std::int64_t integer(std::int64_t lo, std::int64_t hi) const {
    if (!v_) fail(path_, "is missing");
    std::int64_t n = 0;
    if (v_->is_int64()) {
      n = v_->get_int64();
    } else if (v_->is_uint64()) {
      if (v_->get_uint64() > static_cast<std::uint64_t>(hi)) fail(path_, "is too large");
      n = static_cast<std::int64_t>(v_->get_uint64());
    } else {
      fail(path_, "must be an integer");
    }
    if (n < lo || n > hi) {
      fail(path_,
           std::to_string(n) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return n;
  }
  std::uint64_t unsigned64() const {
    if (v_ && v_->is_uint64()) return v_->get_uint64();
    return static_cast<std::uint64_t>(integer(0, std::numeric_limits<std::int64_t>::max()));
  }
  std::uint32_t u32() const {
    return static_cast<std::uint32_t>(integer(0, std::numeric_limits<std::uint32_t>::max()));
  }

 private:
  std::string join(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const json::value* v_;
  std::string path_;
};

void check_depth(const json::value& v, int depth) {
  if (depth > kMaxDepth) fail("(document)", "nested deeper than " + std::to_string(kMaxDepth));
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) check_depth(kv.value(), depth + 1);
  } else if (v.is_array()) {
    for (const auto& item : v.get_array()) check_depth(item, depth + 1);
  }
}

std::string absolute_path(const Field& f) {
  std::string p = f.string();
  if (p.empty() || p.front() != '/') fail(f.path(), "\"" + p + "\" must be an absolute path");
  return p;
}

std::vector<int> capability_set(const Field& f) {
  std::vector<int> out;
  for (const Field& item : f.items()) {
    const std::string name = item.string();
    std::optional<int> number = container::capability_number(name);
    if (!number) fail(item.path(), "unknown capability " + name);
    out.push_back(*number);
  }
  return out;
}

Process parse_process(const Field& p) {
  Process out;
  if (!p.present()) fail("process", "is missing (this runtime starts a process)");
  p.object();
  out.terminal = p["terminal"].boolean_or(false);
  if (Field user = p["user"]; user.present()) {
    out.user.uid = user["uid"].present() ? user["uid"].u32() : 0;
    out.user.gid = user["gid"].present() ? user["gid"].u32() : 0;
    if (user["umask"].present())
      out.user.umask = static_cast<std::uint32_t>(user["umask"].integer(0, 0777));
    if (user["additionalGids"].present()) {
      for (const Field& g : user["additionalGids"].items())
        out.user.additional_gids.push_back(g.u32());
    }
  }
  out.args = p["args"].strings();
  if (out.args.empty() || out.args.front().empty()) fail(p.path() + ".args", "must name a program");
  out.env = p["env"].strings();
  for (std::size_t i = 0; i < out.env.size(); ++i) {
    if (out.env[i].find('=') == std::string::npos) {
      fail(p.path() + ".env[" + std::to_string(i) + "]",
           "\"" + out.env[i] + "\" is not NAME=VALUE");
    }
  }
  if (!p["cwd"].present()) fail(p.path() + ".cwd", "is missing");
  out.cwd = absolute_path(p["cwd"]);
  if (Field caps = p["capabilities"]; caps.present()) {
    caps.object();
    Capabilities c;
    if (caps["bounding"].present()) c.bounding = capability_set(caps["bounding"]);
    if (caps["effective"].present()) c.effective = capability_set(caps["effective"]);
    if (caps["permitted"].present()) c.permitted = capability_set(caps["permitted"]);
    if (caps["inheritable"].present()) c.inheritable = capability_set(caps["inheritable"]);
    if (caps["ambient"].present()) c.ambient = capability_set(caps["ambient"]);
    out.capabilities = std::move(c);
  }
  if (Field rl = p["rlimits"]; rl.present()) {
    std::set<std::string> seen;
    for (const Field& r : rl.items()) {
      container::RlimitSetting s;
      s.name = r["type"].string();
      s.soft = r["soft"].unsigned64();
      s.hard = r["hard"].unsigned64();
      std::optional<int> number = container::rlimit_number(s.name);
      if (!number) fail(r.path() + ".type", "unknown resource " + s.name);
      if (!seen.insert(s.name).second) fail(r.path() + ".type", s.name + " is given twice");
      if (s.soft > s.hard) fail(r.path(), "soft limit above the hard limit");
      out.rlimits.push_back(s);
      out.rlimit_numbers.emplace_back(*number, s);
    }
  }
  out.no_new_privileges = p["noNewPrivileges"].boolean_or(false);
  if (p["oomScoreAdj"].present()) {
    out.oom_score_adj = static_cast<int>(p["oomScoreAdj"].integer(-1000, 1000));
  }
  return out;
}

std::vector<Hook> parse_hooks(const Field& f) {
  std::vector<Hook> out;
  if (!f.present()) return out;
  for (const Field& h : f.items()) {
    Hook hook;
    hook.path = absolute_path(h["path"]);
    hook.args = h["args"].strings();
    hook.env = h["env"].strings();
    if (h["timeout"].present())
      hook.timeout_seconds = static_cast<int>(h["timeout"].integer(1, 86400));
    out.push_back(std::move(hook));
  }
  return out;
}

std::vector<container::IdMapping> parse_id_mappings(const Field& f) {
  std::vector<container::IdMapping> out;
  if (!f.present()) return out;
  if (f.array().size() > kMaxIdMappings) {
    fail(f.path(), "more than " + std::to_string(kMaxIdMappings) + " mappings");
  }
  for (const Field& m : f.items()) {
    container::IdMapping id;
    id.inside = m["containerID"].u32();
    id.outside = m["hostID"].u32();
    id.count = m["size"].u32();
    if (id.count == 0) fail(m.path() + ".size", "must be at least 1");
    constexpr std::uint64_t kIds = std::uint64_t{1} << 32;
    if (std::uint64_t{id.inside} + id.count > kIds || std::uint64_t{id.outside} + id.count > kIds) {
      fail(m.path(), "the range runs past the last id (4294967295)");
    }
    out.push_back(id);
  }
  return out;
}

std::optional<container::CgroupLimits> parse_resources(const Field& r) {
  if (!r.present()) return std::nullopt;
  r.object();
  container::CgroupLimits limits;
  bool any = false;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (Field mem = r["memory"]; mem.present() && mem["limit"].present()) {
    limits.memory_max = mem["limit"].integer(-1, kMax);
    if (*limits.memory_max == 0) fail(mem.path() + ".limit", "0 bytes would kill every process");
    any = true;
  }
  if (Field pids = r["pids"]; pids.present() && pids["limit"].present()) {
    limits.pids_max = pids["limit"].integer(-1, kMax);
    if (*limits.pids_max == 0) limits.pids_max = -1;  // runc: 0 means "no limit"
    any = true;
  }
  if (Field cpu = r["cpu"]; cpu.present()) {
    if (cpu["quota"].present()) {
      limits.cpu_quota_us = cpu["quota"].integer(-1, kMax);
      any = true;
    }
    if (cpu["period"].present()) {
      limits.cpu_period_us = static_cast<std::uint64_t>(cpu["period"].integer(1000, 1'000'000));
    }
    if (cpu["shares"].present()) {
      const std::uint64_t shares = static_cast<std::uint64_t>(cpu["shares"].integer(0, 262'144));
      if (shares != 0) {
        limits.cpu_weight = container::cpu_shares_to_weight(shares);
        any = true;
      }
    }
  }
  return any ? std::optional(limits) : std::nullopt;
}

Seccomp parse_seccomp(const Field& f) {
  Seccomp s;
  s.default_action = f["defaultAction"].string();
  if (f["defaultErrnoRet"].present()) s.default_errno_ret = f["defaultErrnoRet"].u32();
  s.architectures = f["architectures"].strings();
  if (Field calls = f["syscalls"]; calls.present()) {
    for (const Field& c : calls.items()) {
      SeccompRule rule;
      rule.names = c["names"].strings();
      if (rule.names.empty()) fail(c.path() + ".names", "must name at least one system call");
      rule.action = c["action"].string();
      if (c["errnoRet"].present()) rule.errno_ret = c["errnoRet"].u32();
      if (Field args = c["args"]; args.present()) {
        if (args.array().size() > 6) fail(args.path(), "a system call has at most 6 arguments");
        for (const Field& a : args.items()) {
          SeccompArg arg;
          arg.index = static_cast<unsigned>(a["index"].integer(0, 5));
          arg.value = a["value"].unsigned64();
          if (a["valueTwo"].present()) arg.value_two = a["valueTwo"].unsigned64();
          arg.op = a["op"].string();
          rule.args.push_back(arg);
        }
      }
      s.syscalls.push_back(std::move(rule));
    }
  }
  return s;
}

void parse_linux(const Field& l, Config& c) {
  if (!l.present()) return;
  l.object();
  static const std::set<std::string> kTypes = {"pid", "network", "mount", "ipc",
                                               "uts", "user",    "cgroup"};
  std::set<std::string> seen;
  if (Field ns = l["namespaces"]; ns.present()) {
    for (const Field& n : ns.items()) {
      NamespaceEntry e;
      e.type = n["type"].string();
      if (!kTypes.count(e.type))
        fail(n.path() + ".type", "unknown namespace type \"" + e.type + "\"");
      if (!seen.insert(e.type).second)
        fail(n.path() + ".type", "namespace " + e.type + " is listed twice");
      if (n["path"].present()) e.path = absolute_path(n["path"]);
      c.namespaces.push_back(std::move(e));
    }
  }
  c.uid_mappings = parse_id_mappings(l["uidMappings"]);
  c.gid_mappings = parse_id_mappings(l["gidMappings"]);
  const bool new_user_ns = c.find_namespace("user") && c.find_namespace("user")->path.empty();
  if (!new_user_ns && (!c.uid_mappings.empty() || !c.gid_mappings.empty())) {
    fail("linux.uidMappings", "id mappings need a new user namespace in linux.namespaces");
  }
  if (Field s = l["sysctl"]; s.present()) {
    for (const auto& kv : s.object()) {
      const std::string key(kv.key());
      Field value(&kv.value(), s.path() + "." + key);
      if (key.empty() || key.find("..") != std::string::npos || key.front() == '/' ||
          key.find('/') != std::string::npos) {
        fail(s.path(), "\"" + key + "\" is not a sysctl name");
      }
      c.sysctl[key] = value.string();
    }
  }
  c.cgroups_path = l["cgroupsPath"].string_or("");
  for (const auto& part : fs::path(c.cgroups_path)) {
    if (part == "..") fail("linux.cgroupsPath", "must not contain \"..\"");
  }
  c.resources = parse_resources(l["resources"]);
  c.masked_paths = l["maskedPaths"].strings();
  c.readonly_paths = l["readonlyPaths"].strings();
  for (const auto& p : c.masked_paths) {
    if (p.empty() || p.front() != '/') fail("linux.maskedPaths", "\"" + p + "\" must be absolute");
  }
  for (const auto& p : c.readonly_paths) {
    if (p.empty() || p.front() != '/')
      fail("linux.readonlyPaths", "\"" + p + "\" must be absolute");
  }
  c.rootfs_propagation = l["rootfsPropagation"].string_or("");
  static const std::set<std::string> kPropagation = {"",        "private",    "rprivate",
                                                     "slave",   "rslave",     "shared",
                                                     "rshared", "unbindable", "runbindable"};
  if (!kPropagation.count(c.rootfs_propagation)) {
    fail("linux.rootfsPropagation", "unknown propagation \"" + c.rootfs_propagation + "\"");
  }
  if (Field sc = l["seccomp"]; sc.present()) c.seccomp = parse_seccomp(sc);
}

}  // namespace

const NamespaceEntry* Config::find_namespace(std::string_view type) const {
  for (const NamespaceEntry& e : namespaces) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

Config parse_config(std::string_view text, const fs::path& bundle) {
  if (text.size() > kMaxFileBytes) {
    fail("(document)", "larger than " + std::to_string(kMaxFileBytes) + " bytes");
  }
  json::value doc;
  try {
    json::parse_options options;
    options.max_depth = kMaxDepth + 2;
    doc = json::parse(text, {}, options);
  } catch (const std::exception& e) {
    throw ConfigError(std::string("config.json: not valid JSON: ") + e.what());
  }
  check_depth(doc, 0);
  Field top(&doc, "");
  top.object();
  Config c;
  c.oci_version = top["ociVersion"].string();
  // config.md: ociVersion is SemVer; this runtime implements major version 1.
  if (c.oci_version.rfind("1.", 0) != 0) {
    fail("ociVersion", "\"" + c.oci_version + "\" is not a 1.x version this runtime implements");
  }
  Field root = top["root"];
  if (!root.present()) fail("root", "is missing");
  const std::string root_path = root["path"].string();
  if (root_path.empty()) fail("root.path", "is empty");
  c.root = fs::path(root_path).is_absolute() ? fs::path(root_path) : bundle / root_path;
  c.root_readonly = root["readonly"].boolean_or(false);
  c.hostname = top["hostname"].string_or("");
  if (c.hostname.size() > 64) fail("hostname", "longer than 64 bytes");
  c.process = parse_process(top["process"]);
  if (Field mounts = top["mounts"]; mounts.present()) {
    for (const Field& m : mounts.items()) {
      Mount mount;
      mount.destination = absolute_path(m["destination"]);
      for (const auto& part : fs::path(mount.destination)) {
        if (part == "..") fail(m.path() + ".destination", "must not contain \"..\"");
      }
      mount.type = m["type"].string_or("");
      mount.source = m["source"].string_or("");
      mount.options = m["options"].strings();
      c.mounts.push_back(std::move(mount));
    }
  }
  if (Field hooks = top["hooks"]; hooks.present()) {
    hooks.object();
    c.hooks.prestart = parse_hooks(hooks["prestart"]);
    c.hooks.create_runtime = parse_hooks(hooks["createRuntime"]);
    c.hooks.create_container = parse_hooks(hooks["createContainer"]);
    c.hooks.start_container = parse_hooks(hooks["startContainer"]);
    c.hooks.poststart = parse_hooks(hooks["poststart"]);
    c.hooks.poststop = parse_hooks(hooks["poststop"]);
  }
  if (Field a = top["annotations"]; a.present()) {
    for (const auto& kv : a.object()) {
      c.annotations[std::string(kv.key())] =
          Field(&kv.value(), "annotations." + std::string(kv.key())).string();
    }
  }
  parse_linux(top["linux"], c);
  if (!c.hostname.empty() && !(c.find_namespace("uts") && c.find_namespace("uts")->path.empty())) {
    fail("hostname", "setting a hostname needs a new uts namespace in linux.namespaces");
  }
  return c;
}

Config load_config(const fs::path& bundle) {
  const fs::path file = bundle / "config.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError("config.json: cannot read " + file.string() +
                      " (is --bundle the directory that holds it?)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), fs::absolute(bundle));
}

std::string default_config_json() {
  return R"({
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "uhrun",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                   {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
)";
}

}  // namespace uh::oci
