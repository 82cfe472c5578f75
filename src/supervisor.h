// SPDX-License-Identifier: Apache-2.0
// The supervision phase: forwards signals, reaps every zombie, and decides when vigil exits
// and with which code. Everything after the child starts lives here; nothing here may exit.
#pragma once

#include <sys/signalfd.h>
#include <sys/types.h>

#include <bitset>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config.h"
#include "event_log.h"
#include "event_loop.h"

namespace vigil {

/// Supervises one main child until it and (per the config) its descendants are gone.
class Supervisor {
 public:
  Supervisor(const Config& cfg, EventLog& log, EventLoop& loop, pid_t child, bool pid1);

  /// Reads and handles every pending signal from the signalfd.
  void onSignalFd(int sigfd);
  /// Handles one received signal.
  void handleSignal(const signalfd_siginfo& info);

  /// Sends `sig` to `target` on behalf of another module (the memory watcher).
  void signalTarget(SignalTarget target, int sig);
  /// SIGKILLs every descendant (kill(-1) as PID 1).
  void killEverything();
  /// Marks a memory action: vigil then exits with `code`, or with the child's own code but
  /// never 0 when `code` is nullopt.
  void setMemoryExit(std::optional<int> code);
  /// Runs `hook(code, reason)` just before the exit event.
  void addExitHook(std::function<void(int, const std::string&)> hook);
  /// Drops the next `signo` instead of forwarding it (dumb-init: the SIGHUP and SIGCONT the
  /// kernel sends when vigil gives up its controlling terminal for the child).
  void ignoreOnce(int signo);

  /// True once the main child has exited.
  bool childExited() const { return child_status_.has_value(); }
  pid_t child() const { return child_; }
  bool pid1() const { return pid1_; }
  /// The code vigil exits with; valid once the loop has stopped.
  int exitCode() const;

 private:
  enum class Phase { Running, Cleanup, WaitAll, Done };

  void forward(int signo);
  void deliver(int received, int sig);
  void reap();
  void onMainChildExit();
  void finish();
  void termNewDescendants();
  void endLikeCompat();
  int sendToDescendants(int sig);
  void warnNoProc(const char* what);

  const Config& cfg_;
  EventLog& log_;
  EventLoop& loop_;
  pid_t child_;
  bool pid1_;
  pid_t self_;
  Phase phase_ = Phase::Running;
  std::optional<int> child_status_;
  std::optional<EventLoop::TimerId> cleanup_timer_;
  std::set<pid_t> termed_;
  bool cleanup_killed_ = false;  ///< descendants already sent SIGTERM during the cleanup
  bool memory_action_ = false;
  std::optional<int> memory_code_;
  std::vector<std::function<void(int, const std::string&)>> exit_hooks_;
  std::bitset<kMaxSignal> ignore_once_;
  bool termed_all_ = false;      ///< without /proc: the one cleanup SIGTERM went out
  bool no_proc_warned_ = false;
};

}  // namespace vigil
