// host/doctor_main.cc — `uh-doctor`: print what this host can do.
//
//   uh-doctor          one line per capability, for people
//   uh-doctor --json   {"kvm": {"present": true, "detail": "..."}, ...} for `lab`
#include <cstdio>
#include <cstring>
#include <string>

#include "host/probe.h"

namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  if (json) std::printf("{\n  \"cgroup-mode\": %s", json_string(uh::host::cgroup_mode()).c_str());
  for (uh::host::Capability capability : uh::host::all_capabilities()) {
    uh::host::ProbeResult result = uh::host::probe(capability);
    std::string name(uh::host::name(capability));
    if (json) {
      std::printf(",\n  %s: {\"present\": %s, \"detail\": %s}", json_string(name).c_str(),
                  result.present ? "true" : "false", json_string(result.detail).c_str());
    } else {
      std::printf("%-17s %-3s  %s\n", name.c_str(), result.present ? "yes" : "no",
                  result.detail.c_str());
    }
  }
  if (json) std::printf("\n}\n");
  return 0;
}
