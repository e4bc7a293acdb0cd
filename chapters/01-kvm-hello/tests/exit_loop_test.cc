// Chapter 01 — the exit loop, driven by a scripted vCPU: no KVM needed.
#include "vmm/kvm/exit_loop.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <vector>

#include "vmm/bus/debug_console.h"

namespace uh::vmm {
namespace {

// An ExitSource that replays a fixed list of exits. Port and MMIO data live in
// buffers it owns, as they would live in the kvm_run page.
class ScriptedVcpu : public ExitSource {
 public:
  ScriptedVcpu& out(std::uint16_t port, std::vector<std::uint8_t> bytes, std::uint8_t size = 1) {
    auto& buffer = buffers_.emplace_back(std::move(bytes));
    IoExit io{IoExit::Direction::kOut, port, size, static_cast<std::uint32_t>(buffer.size() / size),
              buffer};
    exits_.push_back(io);
    return *this;
  }
  ScriptedVcpu& in(std::uint16_t port, std::uint8_t size) {
    auto& buffer = buffers_.emplace_back(size, 0);
    exits_.push_back(IoExit{IoExit::Direction::kIn, port, size, 1, buffer});
    return *this;
  }
  ScriptedVcpu& mmio_write(std::uint64_t address, std::vector<std::uint8_t> bytes) {
    auto& buffer = buffers_.emplace_back(std::move(bytes));
    exits_.push_back(MmioExit{address, true, buffer});
    return *this;
  }
  ScriptedVcpu& then(VcpuExit exit) {
    exits_.push_back(std::move(exit));
    return *this;
  }

  VcpuExit run() override {
    if (exits_.empty()) ADD_FAILURE() << "the loop ran the vCPU after the script ended";
    if (exits_.empty()) return HltExit{};
    VcpuExit exit = exits_.front();
    exits_.pop_front();
    ++runs;
    return exit;
  }
  std::uint64_t instruction_pointer() override { return 0x1234; }

  std::vector<std::uint8_t>& buffer(std::size_t i) { return buffers_[i]; }
  int runs = 0;

 private:
  std::deque<VcpuExit> exits_;
  std::deque<std::vector<std::uint8_t>> buffers_;  // deque: references stay valid
};

struct Buses {
  IoBus ports{"port I/O bus"};
  IoBus mmio{"MMIO bus"};
};

GuestError::Kind run_expecting_error(ScriptedVcpu& vcpu, Buses& buses, std::string* what) {
  try {
    run_until_halt(vcpu, buses.ports, buses.mmio);
  } catch (const GuestError& e) {
    *what = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "expected a GuestError";
  return GuestError::Kind::kUnknownExit;
}

TEST(ExitLoop, StopsAtHlt) {
  ScriptedVcpu vcpu;
  vcpu.then(HltExit{});
  Buses buses;
  RunOutcome outcome = run_until_halt(vcpu, buses.ports, buses.mmio);
  EXPECT_EQ(outcome.stop, RunOutcome::Stop::kHalted);
  EXPECT_EQ(outcome.stats.total, 1u);
  EXPECT_EQ(vcpu.runs, 1);
}

TEST(ExitLoop, StopsWhenASignalInterruptsTheRun) {
  ScriptedVcpu vcpu;
  vcpu.then(InterruptedExit{}).then(HltExit{});
  Buses buses;
  RunOutcome outcome = run_until_halt(vcpu, buses.ports, buses.mmio);
  EXPECT_EQ(outcome.stop, RunOutcome::Stop::kInterrupted);
  EXPECT_EQ(outcome.stats.interrupted, 1u);
  EXPECT_EQ(vcpu.runs, 1);
}

TEST(ExitLoop, TripleFaultIsAnErrorNotAHalt) {
  ScriptedVcpu vcpu;
  vcpu.then(ShutdownExit{});
  Buses buses;
  std::string what;
  EXPECT_EQ(run_expecting_error(vcpu, buses, &what), GuestError::Kind::kTripleFault);
  EXPECT_NE(what.find("triple"), std::string::npos) << what;
  EXPECT_NE(what.find("0x1234"), std::string::npos) << what;
}

TEST(ExitLoop, InternalErrorCarriesTheSuberror) {
  ScriptedVcpu vcpu;
  vcpu.then(InternalErrorExit{1, {}});
  Buses buses;
  std::string what;
  EXPECT_EQ(run_expecting_error(vcpu, buses, &what), GuestError::Kind::kInternalError);
  EXPECT_NE(what.find("suberror 1"), std::string::npos) << what;
}

TEST(ExitLoop, FailedEntryAndUnknownExitsAreErrors) {
  Buses buses;
  std::string what;
  ScriptedVcpu failed;
  failed.then(FailEntryExit{0x21, 0});
  EXPECT_EQ(run_expecting_error(failed, buses, &what), GuestError::Kind::kFailedEntry);
  EXPECT_NE(what.find("0x21"), std::string::npos) << what;
  ScriptedVcpu unknown;
  unknown.then(UnknownExit{99});
  EXPECT_EQ(run_expecting_error(unknown, buses, &what), GuestError::Kind::kUnknownExit);
}

TEST(ExitLoop, UnknownPortIsReportedNotIgnored) {
  ScriptedVcpu vcpu;
  vcpu.out(0x99, {0x41}).then(HltExit{});
  Buses buses;
  std::string what;
  EXPECT_EQ(run_expecting_error(vcpu, buses, &what), GuestError::Kind::kUnhandledIo);
  EXPECT_NE(what.find("0x99"), std::string::npos) << what;
  EXPECT_NE(what.find("41"), std::string::npos) << what;
}

TEST(ExitLoop, PortWritesReachTheDeviceInOrder) {
  ScriptedVcpu vcpu;
  vcpu.out(0xe9, {'o'}).out(0xe9, {'k'}).then(HltExit{});
  Buses buses;
  auto console = std::make_shared<DebugConsole>();
  buses.ports.insert(BusRange{0xe9, 1}, console);
  RunOutcome outcome = run_until_halt(vcpu, buses.ports, buses.mmio);
  EXPECT_EQ(console->output(), "ok");
  EXPECT_EQ(outcome.stats.io_out, 2u);
  EXPECT_EQ(outcome.stats.total, 3u);
}

TEST(ExitLoop, RepStringOutputIsSplitIntoSingleAccesses) {
  // REP OUTSB of "abc" is one exit with count 3, size 1.
  ScriptedVcpu vcpu;
  vcpu.out(0xe9, {'a', 'b', 'c'}).then(HltExit{});
  Buses buses;
  auto console = std::make_shared<DebugConsole>();
  buses.ports.insert(BusRange{0xe9, 1}, console);
  run_until_halt(vcpu, buses.ports, buses.mmio);
  EXPECT_EQ(console->output(), "abc");
}

TEST(ExitLoop, PortReadTakesTheDevicesAnswer) {
  ScriptedVcpu vcpu;
  vcpu.in(0xe9, 1).then(HltExit{});
  Buses buses;
  buses.ports.insert(BusRange{0xe9, 1}, std::make_shared<DebugConsole>());
  RunOutcome outcome = run_until_halt(vcpu, buses.ports, buses.mmio);
  EXPECT_EQ(vcpu.buffer(0)[0], 0xe9);
  EXPECT_EQ(outcome.stats.io_in, 1u);
}

TEST(ExitLoop, MmioGoesToTheMmioBusAndUnknownMmioIsReported) {
  ScriptedVcpu vcpu;
  vcpu.mmio_write(0xd0000000, {1, 2, 3, 4}).then(HltExit{});
  Buses buses;
  auto console = std::make_shared<DebugConsole>();
  buses.mmio.insert(BusRange{0xd0000000, 0x1000}, console);
  RunOutcome outcome = run_until_halt(vcpu, buses.ports, buses.mmio);
  EXPECT_EQ(console->output().size(), 4u);
  EXPECT_EQ(outcome.stats.mmio_write, 1u);

  ScriptedVcpu stray;
  stray.mmio_write(0xfee00000, {1}).then(HltExit{});
  std::string what;
  EXPECT_EQ(run_expecting_error(stray, buses, &what), GuestError::Kind::kUnhandledMmio);
  EXPECT_NE(what.find("0xfee00000"), std::string::npos) << what;
}

}  // namespace
}  // namespace uh::vmm
