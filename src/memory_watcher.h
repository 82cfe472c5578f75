// SPDX-License-Identifier: Apache-2.0
// The memory watcher: arms a memory source before the child starts (resolving limits, failing
// fast on bad ones), then samples it from the event loop and carries out the policy's actions.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config.h"
#include "event_log.h"
#include "event_loop.h"
#include "fd.h"
#include "memory_source.h"
#include "policy.h"
#include "sampler.h"
#include "supervisor.h"
#include "termination_log.h"

namespace vigil {

/// A source with its limits resolved to bytes: the outcome of setup.
struct ArmedMemory {
  std::unique_ptr<MemorySource> source;
  std::optional<uint64_t> soft;
  std::optional<uint64_t> hard;
  std::optional<uint64_t> cgroup_max;
  std::vector<std::string> skipped;   ///< sources auto passed over, and why
  std::vector<std::string> warnings;  ///< limits that cannot work as meant
};

/// Opens the source and resolves the limits. Errors are configuration errors (exit 2).
/// `procfs_root` is whose descendants procfs sums (vigil itself; PID 1 for --health).
Result<ArmedMemory> armMemory(const MemoryOptions& opts, pid_t procfs_root);

/// Samples memory on the event loop and escalates per the policy.
class MemoryWatcher {
 public:
  MemoryWatcher(const MemoryOptions& opts, ArmedMemory armed, EventLog& log, EventLoop& loop,
                Supervisor& sup);

  /// Logs mem_armed, watches memory.events and schedules the first sample.
  void start();

 private:
  void sampleNow();
  void writeReport();
  void scheduleNext(std::optional<EventLoop::Clock::time_point> deadline);
  void onEventsChanged();
  void handle(const Decision& d, const MemorySample* s);
  void startGraceful(const Decision& d, const MemorySample& s);
  void killAll(const Decision& d);
  void onExit(int code, const std::string& reason);
  void reportFault(const std::string& what);

  const MemoryOptions& opts_;
  ArmedMemory armed_;
  EventLog& log_;
  EventLoop& loop_;
  Supervisor& sup_;
  Policy policy_;
  SampleHistory history_;
  UniqueFd inotify_;
  std::optional<EventLoop::TimerId> timer_;
  std::optional<std::string> termination_log_;
  std::optional<TerminationReport> report_;
  EventLoop::Clock::time_point action_started_{};
  std::optional<uint64_t> last_oom_kill_;
  bool termination_log_warned_ = false;
  bool fault_logged_ = false;
  bool killed_ = false;
};

}  // namespace vigil
