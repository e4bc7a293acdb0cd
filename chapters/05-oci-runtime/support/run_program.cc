#include "run_program.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "container/rootfs.h"

namespace uh::oci::support {

namespace fs = std::filesystem;
namespace json = boost::json;

ProgramResult run_program(const std::vector<std::string>& argv, bool capture) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  raw.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int null_in = ::open("/dev/null", O_RDONLY);
    ::dup2(null_in, 0);
    if (capture) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
    }
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  ProgramResult r;
  auto drain = [&] {
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) r.out.append(buffer, n);
  };
  int status = 0;
  for (;;) {
    drain();
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    pollfd p{fds[0], POLLIN, 0};
    ::poll(&p, 1, 1);
  }
  drain();
  ::close(fds[0]);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

DemoBundle::DemoBundle(const std::string& uhrun, const std::vector<std::string>& args) {
  std::string pattern = (fs::temp_directory_path() / "uh-ch05-bundle-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  try {
    fs::create_directories(bundle());
    container::build_busybox_rootfs(bundle() / "rootfs");
    const ProgramResult spec = run_program({uhrun, "spec", "--bundle", bundle().string()});
    if (spec.code != 0) throw std::runtime_error("uhrun spec failed: " + spec.out);
    std::ifstream in(bundle() / "config.json");
    std::ostringstream text;
    text << in.rdbuf();
    json::object config = json::parse(text.str()).as_object();
    json::array a;
    for (const std::string& s : args) a.push_back(json::string(s));
    config["process"].as_object()["args"] = a;
    std::ofstream(bundle() / "config.json") << json::serialize(config);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

DemoBundle::~DemoBundle() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace uh::oci::support
