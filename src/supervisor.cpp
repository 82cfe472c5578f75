// SPDX-License-Identifier: Apache-2.0
// Signal forwarding, reaping and the end of supervision (cleanup grace, --wait-all).
#include "supervisor.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "process_tree.h"
#include "reaper.h"
#include "signals.h"

namespace vigil {

using json = nlohmann::ordered_json;

Supervisor::Supervisor(const Config& cfg, EventLog& log, EventLoop& loop, pid_t child, bool pid1)
    : cfg_(cfg), log_(log), loop_(loop), child_(child), pid1_(pid1), self_(::getpid()) {}

void Supervisor::onSignalFd(int sigfd) {
  signalfd_siginfo info{};
  for (;;) {
    ssize_t n = ::read(sigfd, &info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof info)) break;  // EAGAIN: drained
    handleSignal(info);
  }
}

void Supervisor::handleSignal(const signalfd_siginfo& info) {
  int signo = static_cast<int>(info.ssi_signo);
  const bool from_self = (info.ssi_code == SI_USER || info.ssi_code == SI_TKILL) &&
                         static_cast<pid_t>(info.ssi_pid) == self_;
  const bool handoff = from_self && signo > 0 && signo < kMaxSignal &&
                       ignore_once_.test(static_cast<size_t>(signo));
  if (cfg_.compat == Compat::DumbInit && (handoff || !from_self) &&
      log_.enabled(LogLevel::Debug))
    log_.event(LogLevel::Debug, "signal_received", json{{"signal", signalName(signo)}});
  if (handoff) {
    // The kernel sends these in vigil's own name when it gives up the terminal (TIOCNOTTY).
    ignore_once_.reset(static_cast<size_t>(signo));
    log_.event(LogLevel::Debug, "signal",
               json{{"received", signalName(signo)}, {"forwarded_as", nullptr},
                    {"target", "ignored"}, {"reason", "tty hand-off"}});
    return;
  }
  // A signal vigil raised against itself (SIGPIPE from writing to a closed stderr) is not
  // for the child.
  if (from_self) return;
  forward(signo);
  if (cfg_.compat == Compat::DumbInit && isTerminalStop(signo)) {
    // As dumb-init does: after passing on a terminal stop, vigil stops too, until SIGCONT
    // (which it then forwards). As PID 1 the kernel ignores this, as it would for dumb-init.
    log_.event(LogLevel::Debug, "suspend", json::object());
    ::kill(self_, SIGSTOP);
  }
}

void Supervisor::forward(int signo) {
  switch (classify(signo, cfg_.compat)) {
    case SignalClass::Reap:
      reap();
      return;
    case SignalClass::Ignore:
      log_.event(LogLevel::Debug, "signal",
                 json{{"received", signalName(signo)}, {"forwarded_as", nullptr},
                      {"target", "ignored"}});
      return;
    case SignalClass::Forward:
      break;
  }
  int sig = cfg_.rewritten(signo);
  if (sig == 0) {
    log_.event(LogLevel::Info, "signal",
               json{{"received", signalName(signo)}, {"forwarded_as", nullptr},
                    {"target", "dropped"}});
    return;
  }
  Millis delay = signo < kMaxSignal ? cfg_.delay[static_cast<size_t>(signo)] : Millis{0};
  if (delay.count() > 0) {
    log_.event(LogLevel::Info, "signal_delayed",
               json{{"received", signalName(signo)}, {"delay_ms", delay.count()}});
    loop_.schedule(EventLoop::Clock::now() + delay, [this, signo, sig] { deliver(signo, sig); });
    return;
  }
  deliver(signo, sig);
}

namespace {

// Without /proc (an empty tmpfs over it, a hardened sandbox) vigil cannot list its
// descendants; only kill(-1) as PID 1 and process groups still reach them.
bool procAvailable() { return ::access("/proc/self/stat", R_OK) == 0; }

}  // namespace

void Supervisor::warnNoProc(const char* what) {
  if (no_proc_warned_) return;
  no_proc_warned_ = true;
  log_.message(LogLevel::Warning,
               std::string("/proc is not available: ") + what +
                   " goes to the child's process group only");
}

int Supervisor::sendToDescendants(int sig) {
  int n = sendToAllDescendants(sig, pid1_);
  if (n == 0 && !pid1_ && !procAvailable()) {
    warnNoProc("a signal for every descendant");
    n = sendToTarget(SignalTarget::Group, child_, sig, pid1_);
  }
  return n;
}

void Supervisor::deliver(int received, int sig) {
  const char* target = targetName(cfg_.signal_target);
  if (phase_ == Phase::Done) return;
  if (childExited()) {
    // The main child is gone: what remains are descendants being cleaned up or waited for.
    sendToDescendants(sig);
    target = "descendants";
  } else if (cfg_.signal_target == SignalTarget::All && !pid1_) {
    if (sendToAllDescendants(sig, pid1_) == 0 && !procAvailable()) {
      warnNoProc("a signal for every descendant");
      sendToTarget(SignalTarget::Group, child_, sig, pid1_);
      target = "group";
    }
  } else {
    sendToTarget(cfg_.signal_target, child_, sig, pid1_);
  }
  log_.event(LogLevel::Info, "signal",
             json{{"received", signalName(received)}, {"forwarded_as", signalName(sig)},
                  {"target", target}});
}

void Supervisor::signalTarget(SignalTarget target, int sig) {
  if (childExited() || (target == SignalTarget::All && !pid1_)) {
    sendToDescendants(sig);
    return;
  }
  sendToTarget(target, child_, sig, pid1_);
}

void Supervisor::killEverything() { sendToDescendants(SIGKILL); }

void Supervisor::setMemoryExit(std::optional<int> code) {
  memory_action_ = true;
  memory_code_ = code;
}

void Supervisor::addExitHook(std::function<void(int, const std::string&)> hook) {
  exit_hooks_.push_back(std::move(hook));
}

void Supervisor::ignoreOnce(int signo) {
  if (signo > 0 && signo < kMaxSignal) ignore_once_.set(static_cast<size_t>(signo));
}

void Supervisor::reap() {
  ReapResult r = reapAll();
  for (const auto& z : r.reaped) {
    bool main = z.pid == child_ && !child_status_;
    LogLevel level = main ? LogLevel::Info
                          : (cfg_.warn_reap ? LogLevel::Warning : LogLevel::Debug);
    // Checked first: in an orphan storm, building events nobody prints costs more than the
    // reaping itself.
    if (log_.enabled(level))
      log_.event(level, "reap",
                 json{{"pid", z.pid}, {"status", describeStatus(z.status)}, {"main", main}});
    if (main) child_status_ = z.status;
  }
  if (!childExited()) return;
  if (phase_ == Phase::Running && cfg_.compat != Compat::None && !cfg_.wait_all) {
    endLikeCompat();
    return;
  }
  if (!r.children_left) {
    if (phase_ != Phase::Done) finish();
    return;
  }
  if (phase_ == Phase::Running)
    onMainChildExit();
  else if (phase_ == Phase::Cleanup && !cleanup_killed_)
    termNewDescendants();
  else if (phase_ == Phase::Cleanup)
    killEverything();  // a process forked between the listing and the SIGKILL escaped it
}

void Supervisor::termNewDescendants() {
  // A leftover may fork while it shuts down; its new children must get SIGTERM too, not wait
  // for the SIGKILL at the end of the grace. Each process is sent SIGTERM once.
  if (!procAvailable()) {
    // Nothing to list: SIGTERM everyone at once (as PID 1) or the child's group, one time.
    if (!termed_all_) {
      termed_all_ = true;
      if (pid1_) {
        ::kill(-1, SIGTERM);
      } else {
        warnNoProc("the cleanup SIGTERM");
        ::kill(-child_, SIGTERM);
      }
    }
    return;
  }
  for (const auto& p : listDescendants(self_)) {
    if (termed_.insert(p.pid).second) ::kill(p.pid, SIGTERM);
  }
}

void Supervisor::endLikeCompat() {
  // tini exits as soon as its child has; dumb-init first sends SIGTERM (through its rewrites)
  // to the child's group, then exits. Neither waits for the rest.
  if (cfg_.compat == Compat::DumbInit) {
    int sig = cfg_.rewritten(SIGTERM);
    if (sig == 0) {
      log_.event(LogLevel::Info, "signal",
                 json{{"received", "SIGTERM"}, {"forwarded_as", nullptr}, {"target", "dropped"},
                      {"reason", "child exited"}});
    } else {
      sendToTarget(cfg_.signal_target, child_, sig, pid1_);
      log_.event(LogLevel::Info, "signal",
                 json{{"received", "SIGTERM"}, {"forwarded_as", signalName(sig)},
                      {"target", targetName(cfg_.signal_target)}, {"reason", "child exited"}});
    }
  }
  finish();
}

void Supervisor::onMainChildExit() {
  if (cfg_.wait_all) {
    phase_ = Phase::WaitAll;
    return;
  }
  phase_ = Phase::Cleanup;
  // Leftover descendants get SIGTERM now and SIGKILL after the grace; reaping the last one
  // ends the wait early (reap() sees no children left).
  log_.message(LogLevel::Info, "child exited; sending SIGTERM to the remaining processes");
  termNewDescendants();
  cleanup_timer_ = loop_.schedule(EventLoop::Clock::now() + cfg_.cleanup_grace, [this] {
    cleanup_timer_.reset();
    cleanup_killed_ = true;
    log_.message(LogLevel::Warning, "cleanup grace expired; sending SIGKILL to the remaining "
                                    "processes");
    killEverything();
  });
}

void Supervisor::finish() {
  phase_ = Phase::Done;
  if (cleanup_timer_) loop_.cancel(*cleanup_timer_);
  int code = exitCode();
  std::string reason = memory_action_ ? "memory limit" : "child exited";
  for (auto& hook : exit_hooks_) hook(code, reason);
  log_.event(memory_action_ ? LogLevel::Warning : LogLevel::Info, "exit",
             json{{"code", code}, {"reason", reason},
                  {"child_status", child_status_ ? json(describeStatus(*child_status_)) : json()}});
  loop_.stop();
}

int Supervisor::exitCode() const {
  int code = child_status_ ? exitCodeFromStatus(*child_status_) : 1;
  if (memory_action_) {
    // A memory action never ends in 0: the orchestrator must see that the program was stopped.
    if (memory_code_) return *memory_code_;
    return code == 0 ? 137 : code;
  }
  if (cfg_.remap_exit.test(static_cast<size_t>(code))) code = 0;
  return code;
}

}  // namespace vigil
