// container/cgroup_hybrid.cc — the hybrid driver: the legacy driver for
// everything a controller does, plus a group of the same name in the
// controller-less cgroup2 tree at <root>/unified, as systemd makes for its units.
#include <stdexcept>
#include <utility>

#include "container/cgroup.h"
#include "container/cgroup_drivers.h"

namespace uh::container::internal {

namespace {

// Owns: a legacy driver (limits, statistics, freezing) and a unified driver
// for the cgroup2 tree, which has no controllers here but tracks the
// processes and offers cgroup.kill. Composed, not copied: every operation is
// the one of the driver that does it.
class HybridCgroup final : public CgroupDriver {
 public:
  HybridCgroup(std::unique_ptr<CgroupDriver> legacy, std::unique_ptr<CgroupDriver> unified)
      : legacy_(std::move(legacy)), unified_(std::move(unified)) {}

  CgroupMode mode() const override { return CgroupMode::kHybrid; }

  void create(const std::string& name) override {
    legacy_->create(name);
    try {
      unified_->create(name);
    } catch (...) {
      try {
        legacy_->remove();  // empty and just made: only rmdir
      } catch (...) {
        // The first failure is the one to report.
      }
      throw;
    }
  }

  void open(const std::string& name) override {
    legacy_->open(name);
    unified_->open(name);
  }

  // The unified tree has no controllers: limits and statistics are all v1.
  void apply(const CgroupLimits& limits) override { legacy_->apply(limits); }
  CgroupStats stats() const override { return legacy_->stats(); }

  void join(pid_t pid) override {
    legacy_->join(pid);
    unified_->join(pid);
  }

  std::vector<pid_t> processes() const override { return legacy_->processes(); }

  // Freezing belongs to the v1 freezer controller, as in crun.
  void freeze() override { legacy_->freeze(); }
  void thaw() override { legacy_->thaw(); }

  void remove() override {
    // A task the v1 freezer holds acts on SIGKILL only once thawed, so thaw
    // first. The unified driver then kills through cgroup.kill, which also
    // takes processes forking meanwhile, waits, and removes its directory;
    // the legacy driver finds its groups empty (or kills what only v1 held)
    // and removes them.
    if (!legacy_->processes().empty()) legacy_->thaw();
    unified_->remove();
    legacy_->remove();
  }

  std::vector<fs::path> paths() const override {
    std::vector<fs::path> paths = legacy_->paths();
    for (fs::path& path : unified_->paths()) paths.push_back(std::move(path));
    return paths;
  }

 private:
  std::unique_ptr<CgroupDriver> legacy_;
  std::unique_ptr<CgroupDriver> unified_;
};

}  // namespace

std::unique_ptr<CgroupDriver> make_hybrid_driver(std::unique_ptr<CgroupDriver> legacy,
                                                 std::unique_ptr<CgroupDriver> unified) {
  return std::make_unique<HybridCgroup>(std::move(legacy), std::move(unified));
}

}  // namespace uh::container::internal
