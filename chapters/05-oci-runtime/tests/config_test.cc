// Chapter 05 — config.json: what is accepted, and every refusal naming its field.
#include "oci/config.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>

#include "oci/seccomp_filter.h"

namespace uh::oci {
namespace {

namespace json = boost::json;

// The default config with `edit` applied, serialised.
std::string edited(const std::function<void(json::object&)>& edit) {
  json::object c = json::parse(default_config_json()).as_object();
  edit(c);
  return json::serialize(c);
}

// The ConfigError's message for `text`, or "(accepted)".
std::string refusal(const std::string& text) {
  try {
    parse_config(text, "/bundle");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

json::object& process(json::object& c) { return c["process"].as_object(); }
json::object& linux_of(json::object& c) { return c["linux"].as_object(); }

TEST(Config, TheDefaultSpecParses) {
  const Config c = parse_config(default_config_json(), "/bundle");
  EXPECT_EQ(c.oci_version, "1.0.2");
  EXPECT_EQ(c.root, "/bundle/rootfs") << "a relative root.path is relative to the bundle";
  EXPECT_TRUE(c.root_readonly);
  EXPECT_EQ(c.process.args, std::vector<std::string>{"sh"});
  EXPECT_EQ(c.process.cwd, "/");
  ASSERT_TRUE(c.process.capabilities.has_value());
  EXPECT_EQ(c.process.capabilities->bounding, (std::vector<int>{29, 5, 10}));
  ASSERT_EQ(c.process.rlimits.size(), 1u);
  EXPECT_EQ(c.process.rlimits[0].name, "RLIMIT_NOFILE");
  EXPECT_EQ(c.mounts.size(), 6u);
  EXPECT_EQ(c.mounts[0].destination, "/proc");
  EXPECT_EQ(c.namespaces.size(), 5u);
  EXPECT_NE(c.find_namespace("mount"), nullptr);
  EXPECT_EQ(c.find_namespace("user"), nullptr);
  EXPECT_EQ(c.masked_paths.size(), 10u);
}

TEST(Config, WhatPodmanWritesParses) {
  // The shape podman 4 gives a runtime: joined network namespace, an
  // absolute cgroupsPath, resources, sysctls, seccomp with argument rules.
  const std::string text = edited([](json::object& c) {
    linux_of(c)["cgroupsPath"] = "/libpod_parent/libpod-0123";
    linux_of(c)["namespaces"] = json::parse(
        R"([{"type":"pid"},{"type":"network","path":"/run/netns/x"},{"type":"ipc"},
            {"type":"uts"},{"type":"mount"}])");
    linux_of(c)["resources"] = json::parse(
        R"({"devices":[{"allow":false,"access":"rwm"}],"pids":{"limit":2048},
            "memory":{"limit":67108864},"cpu":{"shares":1024,"quota":50000,"period":100000}})");
    linux_of(c)["sysctl"] = json::parse(R"({"net.ipv4.ping_group_range":"0 0"})");
    linux_of(c)["seccomp"] = json::parse(
        R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,
            "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
            "syscalls":[{"names":["read","write","exit_group","no_such_call_anywhere"],
                         "action":"SCMP_ACT_ALLOW"},
                        {"names":["clone"],"action":"SCMP_ACT_ALLOW",
                         "args":[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}]},
                        {"names":["kexec_load"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]})");
    c["annotations"] = json::parse(R"({"io.container.manager":"libpod"})");
  });
  const Config c = parse_config(text, "/b");
  EXPECT_EQ(c.cgroups_path, "/libpod_parent/libpod-0123");
  EXPECT_EQ(c.find_namespace("network")->path, "/run/netns/x");
  ASSERT_TRUE(c.resources.has_value());
  EXPECT_EQ(c.resources->pids_max, 2048);
  EXPECT_EQ(c.resources->memory_max, 67108864);
  EXPECT_EQ(c.resources->cpu_quota_us, 50000);
  EXPECT_EQ(c.resources->cpu_period_us, 100000u);
  EXPECT_EQ(c.resources->cpu_weight, container::cpu_shares_to_weight(1024));
  EXPECT_EQ(c.sysctl.at("net.ipv4.ping_group_range"), "0 0");
  EXPECT_EQ(c.annotations.at("io.container.manager"), "libpod");
  ASSERT_TRUE(c.seccomp.has_value());
  EXPECT_EQ(c.seccomp->syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ");
  // The profile translates: an unknown call name is skipped, not an error.
  EXPECT_NO_THROW(SeccompFilter filter(*c.seccomp));
}

TEST(Config, EachBadFieldIsNamedInTheError) {
  struct Case {
    const char* why;
    std::function<void(json::object&)> edit;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"major version 2", [](json::object& c) { c["ociVersion"] = "2.0.0"; },
       "config.json: ociVersion: \"2.0.0\" is not a 1.x version this runtime implements"},
      {"no process", [](json::object& c) { c.erase("process"); },
       "config.json: process: is missing (this runtime starts a process)"},
      {"no cwd", [](json::object& c) { process(c).erase("cwd"); },
       "config.json: process.cwd: is missing"},
      {"relative cwd", [](json::object& c) { process(c)["cwd"] = "tmp"; },
       "config.json: process.cwd: \"tmp\" must be an absolute path"},
      {"no args", [](json::object& c) { process(c)["args"] = json::array(); },
       "config.json: process.args: must name a program"},
      {"args not strings", [](json::object& c) { process(c)["args"] = json::parse("[1]"); },
       "config.json: process.args[0]: must be a string"},
      {"env without =", [](json::object& c) { process(c)["env"] = json::parse(R"(["PATH"])"); },
       "config.json: process.env[0]: \"PATH\" is not NAME=VALUE"},
      {"unknown capability",
       [](json::object& c) {
         process(c)["capabilities"].as_object()["bounding"] = json::parse(R"(["CAP_FLY"])");
       },
       "config.json: process.capabilities.bounding[0]: unknown capability CAP_FLY"},
      {"unknown rlimit",
       [](json::object& c) {
         process(c)["rlimits"] = json::parse(R"([{"type":"RLIMIT_FUN","soft":1,"hard":1}])");
       },
       "config.json: process.rlimits[0].type: unknown resource RLIMIT_FUN"},
      {"soft above hard",
       [](json::object& c) {
         process(c)["rlimits"] = json::parse(R"([{"type":"RLIMIT_NOFILE","soft":9,"hard":1}])");
       },
       "config.json: process.rlimits[0]: soft limit above the hard limit"},
      {"oomScoreAdj", [](json::object& c) { process(c)["oomScoreAdj"] = 1001; },
       "config.json: process.oomScoreAdj: 1001 is outside -1000..1000"},
      {"relative mount",
       [](json::object& c) { c["mounts"].as_array()[0].as_object()["destination"] = "proc"; },
       "config.json: mounts[0].destination: \"proc\" must be an absolute path"},
      {"mount climbing out",
       [](json::object& c) { c["mounts"].as_array()[0].as_object()["destination"] = "/../../etc"; },
       "config.json: mounts[0].destination: must not contain \"..\""},
      {"duplicate namespace",
       [](json::object& c) {
         linux_of(c)["namespaces"].as_array().push_back(json::parse(R"({"type":"pid"})"));
       },
       "config.json: linux.namespaces[5].type: namespace pid is listed twice"},
      {"unknown namespace",
       [](json::object& c) {
         linux_of(c)["namespaces"].as_array().push_back(json::parse(R"({"type":"time"})"));
       },
       "config.json: linux.namespaces[5].type: unknown namespace type \"time\""},
      {"maps without user namespace",
       [](json::object& c) {
         linux_of(c)["uidMappings"] = json::parse(R"([{"containerID":0,"hostID":1000,"size":1}])");
       },
       "config.json: linux.uidMappings: id mappings need a new user namespace in linux.namespaces"},
      {"map of size 0",
       [](json::object& c) {
         linux_of(c)["namespaces"].as_array().push_back(json::parse(R"({"type":"user"})"));
         linux_of(c)["uidMappings"] = json::parse(R"([{"containerID":0,"hostID":1000,"size":0}])");
       },
       "config.json: linux.uidMappings[0].size: must be at least 1"},
      {"map past the last id",
       [](json::object& c) {
         linux_of(c)["namespaces"].as_array().push_back(json::parse(R"({"type":"user"})"));
         linux_of(c)["gidMappings"] =
             json::parse(R"([{"containerID":0,"hostID":4294967295,"size":2}])");
       },
       "config.json: linux.gidMappings[0]: the range runs past the last id (4294967295)"},
      {"relative hook",
       [](json::object& c) { c["hooks"] = json::parse(R"({"poststop":[{"path":"cleanup.sh"}]})"); },
       "config.json: hooks.poststop[0].path: \"cleanup.sh\" must be an absolute path"},
      {"hook timeout 0",
       [](json::object& c) {
         c["hooks"] = json::parse(R"({"poststop":[{"path":"/bin/true","timeout":0}]})");
       },
       "config.json: hooks.poststop[0].timeout: 0 is outside 1..86400"},
      {"sysctl path",
       [](json::object& c) { linux_of(c)["sysctl"] = json::parse(R"({"../../etc/passwd":"x"})"); },
       "config.json: linux.sysctl: \"../../etc/passwd\" is not a sysctl name"},
      {"memory limit 0",
       [](json::object& c) { linux_of(c)["resources"] = json::parse(R"({"memory":{"limit":0}})"); },
       "config.json: linux.resources.memory.limit: 0 bytes would kill every process"},
      {"cgroupsPath climbing out",
       [](json::object& c) { linux_of(c)["cgroupsPath"] = "/a/../../b"; },
       "config.json: linux.cgroupsPath: must not contain \"..\""},
      {"hostname without uts",
       [](json::object& c) {
         json::array ns;
         for (auto& n : linux_of(c)["namespaces"].as_array()) {
           if (n.as_object()["type"] != "uts") ns.push_back(n);
         }
         linux_of(c)["namespaces"] = ns;
       },
       "config.json: hostname: setting a hostname needs a new uts namespace in linux.namespaces"},
  };
  for (const Case& k : cases) EXPECT_EQ(refusal(edited(k.edit)), k.expected) << k.why;
}

TEST(Config, MalformedAndHostileDocumentsAreRefused) {
  EXPECT_EQ(refusal("").rfind("config.json: not valid JSON", 0), 0u);
  EXPECT_EQ(refusal("{\"ociVersion\": \"1.0.0\",").rfind("config.json: not valid JSON", 0), 0u);
  EXPECT_EQ(refusal("[]"), "config.json: : must be an object");
  EXPECT_EQ(refusal(R"({"ociVersion": 1})"), "config.json: ociVersion: must be a string");
  // Nested past any real config: refused before it can exhaust the stack.
  EXPECT_NE(refusal(std::string(100000, '[') + std::string(100000, ']')), "(accepted)");
  // A huge array is refused by count, not by running out of memory.
  std::string many = R"({"ociVersion":"1.0.0","root":{"path":"r"},"process":{"cwd":"/","args":[)";
  for (int i = 0; i < 5000; ++i) many += std::string(i ? "," : "") + "\"a\"";
  many += "]}}";
  EXPECT_EQ(refusal(many), "config.json: process.args: more than 4096 entries");
  EXPECT_NE(refusal(std::string(5 << 20, ' ')).find("larger than"), std::string::npos);
}

TEST(Config, UnknownFieldsAreIgnoredAsTheSpecAsks) {
  const std::string text = edited([](json::object& c) {
    c["vendor.example"] = json::parse(R"({"anything": [1, 2, 3]})");
    process(c)["apparmorProfile"] = "unconfined";
  });
  EXPECT_EQ(refusal(text), "(accepted)");
}

TEST(Config, SeccompProfilesWithUnknownActionsAreRefusedByName) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls.push_back({{"mkdir"}, "SCMP_ACT_DANCE", std::nullopt, {}});
  try {
    SeccompFilter filter(s);
    FAIL() << "an unknown action was accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "config.json: linux.seccomp.syscalls[0].action: unknown or unsupported action "
                 "\"SCMP_ACT_DANCE\"");
  }
  s.syscalls[0] = {{"mkdir"}, "SCMP_ACT_ERRNO", 1, {{0, 1, 0, "SCMP_CMP_SOMETIMES"}}};
  EXPECT_THROW(SeccompFilter{s}, ConfigError);
  s.syscalls.clear();
  s.architectures = {"SCMP_ARCH_Z80"};
  EXPECT_THROW(SeccompFilter{s}, ConfigError);
}

}  // namespace
}  // namespace uh::oci
