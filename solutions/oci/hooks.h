// oci/hooks.h — running the programs config.json asks for at each step.
//
// Owns: each hook's process, from fork to reaping. A hook (config.md
// "POSIX-platform Hooks") is a program that gets the container's state JSON
// on its standard input; a non-zero exit, a signal or a timeout is a failure
// the caller decides about (fatal for createRuntime, a warning for
// poststart and poststop, as the spec says).
#pragma once

#include <string>
#include <vector>

#include "oci/config.h"

namespace uh::oci {

/// Runs `hook` with `state` on its stdin and its stdout/stderr the caller's.
/// Waits at most hook.timeout_seconds (or `default_timeout_seconds`), then
/// kills it. Throws std::runtime_error "<phase> hook <path>: <what happened>".
void run_hook(const Hook& hook, const std::string& state, const std::string& phase,
              int default_timeout_seconds = 30);

/// run_hook for each of `hooks`, in order; the first failure throws.
void run_hooks(const std::vector<Hook>& hooks, const std::string& state, const std::string& phase);

}  // namespace uh::oci
