// host/require.h — skip a test, with the probe's reason, where the host lacks a capability.
//
//   TEST(Kvm, RunsTheGuest) {
//     UH_REQUIRE(uh::host::Capability::kKvm);
//     ...
//   }
//
// The skip message has a fixed shape, "requires <name>: <detail>", which
// `lab test` reads to fail any test skipped for a capability the host has.
#pragma once

#include <gtest/gtest.h>

#include "host/probe.h"

#define UH_REQUIRE(capability)                                                \
  do {                                                                        \
    ::uh::host::ProbeResult uh_probe_result_ = ::uh::host::probe(capability); \
    if (!uh_probe_result_.present) {                                          \
      GTEST_SKIP() << "requires " << ::uh::host::name(capability) << ": "     \
                   << uh_probe_result_.detail;                                \
    }                                                                         \
  } while (false)
