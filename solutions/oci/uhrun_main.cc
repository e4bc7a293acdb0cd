// uhrun — the workbook's OCI runtime, with runc's command line.
//
//   uhrun [--root DIR] [--log FILE] [--log-format text|json] [--debug]
//         [--systemd-cgroup] COMMAND ...
//
// Every failure prints one line, "uhrun: <what went wrong>", on stderr (and
// in the --log file, as JSON with --log-format json, which is how podman's
// conmon reads a runtime's errors), and exits 1.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

#include "oci/config.h"
#include "oci/runtime.h"

namespace {

using namespace uh::oci;

struct Logging {
  std::string file;
  std::string format = "text";
  bool debug = false;
};

void log_line(const Logging& log, const std::string& level, const std::string& message) {
  if (log.file.empty()) return;
  std::ofstream out(log.file, std::ios::app);
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  if (log.format == "json") {
    boost::json::object o{{"level", level}, {"msg", message}, {"time", when}};
    out << boost::json::serialize(o) << "\n";
  } else {
    out << "time=\"" << when << "\" level=" << level << " msg=\"" << message << "\"\n";
  }
}

std::string features_json() {
  boost::json::object linux_features{
      {"namespaces", boost::json::array{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
      {"cgroup", boost::json::object{{"v1", true}, {"v2", true}, {"systemd", false}}},
      {"seccomp", boost::json::object{{"enabled", true}}}};
  boost::json::object o{
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks", boost::json::array{"prestart", "createRuntime", "createContainer", "startContainer",
                                   "poststart", "poststop"}},
      {"mountOptions",
       boost::json::array{"async",         "atime",      "bind",      "defaults", "dev",
                          "diratime",      "dirsync",    "exec",      "mand",     "noatime",
                          "nodev",         "nodiratime", "noexec",    "nomand",   "norelatime",
                          "nostrictatime", "nosuid",     "private",   "rbind",    "relatime",
                          "remount",       "ro",         "rprivate",  "rshared",  "rslave",
                          "runbindable",   "rw",         "shared",    "slave",    "strictatime",
                          "suid",          "sync",       "unbindable"}},
      {"linux", linux_features}};
  return boost::json::serialize(o);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"uhrun: an OCI runtime (runc's command line), built in the workbook"};
  app.require_subcommand(1);
  RuntimeOptions rt;
  Logging log;
  std::string root = rt.root.string();
  app.add_option("--root", root, "where container state lives")->capture_default_str();
  app.add_option("--log", log.file, "also write errors to this file");
  app.add_option("--log-format", log.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", log.debug, "log each command");
  app.add_flag("--systemd-cgroup", rt.systemd_cgroup, "read cgroupsPath as slice:prefix:name");

  CreateOptions create;
  std::string pid_file, console_socket, bundle = ".";
  int preserve_fds = 0;
  bool no_pivot = false, no_new_keyring = false;
  auto add_create_flags = [&](CLI::App* cmd) {
    cmd->add_option("-b,--bundle", bundle, "the bundle directory (holds config.json)");
    cmd->add_option("--pid-file", pid_file, "write the init's PID here");
    cmd->add_option("--console-socket", console_socket, "send the terminal's master fd here");
    cmd->add_option("--preserve-fds", preserve_fds, "accepted for runc compatibility");
    cmd->add_flag("--no-pivot", no_pivot, "accepted; this runtime always uses pivot_root");
    cmd->add_flag("--no-new-keyring", no_new_keyring, "accepted; no session keyring is made");
    cmd->add_option("id", create.id, "container id")->required();
  };
  CLI::App* create_cmd = app.add_subcommand("create", "create a container, ready to start");
  add_create_flags(create_cmd);
  bool detach = false;
  CLI::App* run_cmd = app.add_subcommand("run", "create, start, wait for and delete a container");
  add_create_flags(run_cmd);
  run_cmd->add_flag("-d,--detach", detach, "return once started");

  std::string id;
  CLI::App* start_cmd = app.add_subcommand("start", "start a created container");
  start_cmd->add_option("id", id, "container id")->required();
  CLI::App* state_cmd = app.add_subcommand("state", "print a container's state as JSON");
  state_cmd->add_option("id", id, "container id")->required();
  std::string signal = "TERM";
  bool all = false;
  CLI::App* kill_cmd = app.add_subcommand("kill", "send a signal to a container's init");
  kill_cmd->add_option("id", id, "container id")->required();
  kill_cmd->add_option("signal", signal, "name or number")->capture_default_str();
  kill_cmd->add_flag("-a,--all", all, "signal every process in the container");
  bool force = false;
  CLI::App* delete_cmd = app.add_subcommand("delete", "delete a stopped container");
  delete_cmd->add_option("id", id, "container id")->required();
  delete_cmd->add_flag("-f,--force", force, "kill it first if it still runs");
  std::string format = "table";
  bool quiet = false;
  CLI::App* list_cmd = app.add_subcommand("list", "list containers");
  list_cmd->add_option("-f,--format", format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  list_cmd->add_flag("-q,--quiet", quiet, "ids only");
  std::string spec_bundle = ".";
  CLI::App* spec_cmd = app.add_subcommand("spec", "write a default config.json");
  spec_cmd->add_option("-b,--bundle", spec_bundle, "where to write it");
  CLI::App* features_cmd = app.add_subcommand("features", "what this runtime supports, as JSON");
  ExecOptions exec;
  bool tty = false;
  CLI::App* exec_cmd = app.add_subcommand("exec", "run another process in a running container");
  exec_cmd->add_option("-p,--process", exec.process_file, "a process.json");
  exec_cmd->add_option("-e,--env", exec.env, "NAME=VALUE to add");
  exec_cmd->add_option("--cwd", exec.cwd, "working directory inside");
  exec_cmd->add_option("--pid-file", exec.pid_file, "write the process's PID here");
  exec_cmd->add_flag("-d,--detach", exec.detach, "return once it runs");
  exec_cmd->add_flag("-t,--tty", tty, "not supported: exec without a terminal");
  exec_cmd->add_option("--console-socket", console_socket, "not supported with exec");
  exec_cmd->add_option("--preserve-fds", preserve_fds, "accepted for runc compatibility");
  exec_cmd->add_option("id", exec.id, "container id")->required();
  // Everything after the id is the command, options included ("sh -c ...").
  exec_cmd->prefix_command();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) log_line(log, "error", e.what());
    return app.exit(e);
  }
  rt.root = root;
  create.bundle = bundle;
  create.pid_file = pid_file;
  create.console_socket = console_socket;
  if (log.debug) {
    std::string line;
    for (int i = 0; i < argc; ++i) line += std::string(i ? " " : "") + argv[i];
    log_line(log, "debug", line);
  }

  try {
    if (*create_cmd) {
      create_container(rt, create);
    } else if (*run_cmd) {
      return run_container(rt, create, detach);
    } else if (*start_cmd) {
      start_container(rt, id);
    } else if (*state_cmd) {
      std::cout << container_state(rt, id) << "\n";
    } else if (*kill_cmd) {
      kill_container(rt, id, parse_signal(signal), all);
    } else if (*delete_cmd) {
      delete_container(rt, id, force);
    } else if (*list_cmd) {
      const auto containers = list_containers(rt);
      if (format == "json") {
        boost::json::array a;
        for (const auto& [s, status] : containers)
          a.push_back(boost::json::parse(state_json(s, status)));
        std::cout << boost::json::serialize(a) << "\n";
      } else {
        if (!quiet)
          std::printf("%-24s %-8s %-10s %-30s %s\n", "ID", "PID", "STATUS", "CREATED", "BUNDLE");
        for (const auto& [s, status] : containers) {
          if (quiet) {
            std::printf("%s\n", s.id.c_str());
          } else {
            std::printf("%-24s %-8d %-10s %-30s %s\n", s.id.c_str(),
                        status == Status::kStopped ? 0 : s.pid, to_string(status).c_str(),
                        s.created.c_str(), s.bundle.c_str());
          }
        }
      }
    } else if (*spec_cmd) {
      const std::filesystem::path file = std::filesystem::path(spec_bundle) / "config.json";
      if (std::filesystem::exists(file)) {
        throw std::runtime_error(file.string() + " exists already; remove it first");
      }
      std::ofstream out(file);
      out << default_config_json();
      if (!out) throw std::runtime_error("cannot write " + file.string());
    } else if (*features_cmd) {
      std::cout << features_json() << "\n";
    } else if (*exec_cmd) {
      if (tty || !console_socket.empty()) {
        throw std::invalid_argument("exec with a terminal (--tty) is not supported by uhrun");
      }
      exec.args = exec_cmd->remaining();
      if (!exec.args.empty() && exec.args.front() == "--") exec.args.erase(exec.args.begin());
      return exec_in_container(rt, exec);
    }
  } catch (const std::exception& e) {
    std::cerr << "uhrun: " << e.what() << std::endl;
    log_line(log, "error", e.what());
    return 1;
  }
  return 0;
}
