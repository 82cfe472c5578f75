// SPDX-License-Identifier: Apache-2.0
// Memory sampling on the event loop: one timer (adaptive), inotify on memory.events, and the
// actions the policy decides. A failing source is logged once and retried; the child is never
// harmed by a fault of the watcher.
#include "memory_watcher.h"

#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cgroup.h"
#include "mem_limit.h"
#include "signals.h"
#include "values.h"

namespace vigil {

using json = nlohmann::ordered_json;
using Clock = EventLoop::Clock;

namespace {

constexpr const char* kDefaultTerminationLog = "/dev/termination-log";

PolicyConfig policyConfig(const MemoryOptions& o, const ArmedMemory& a) {
  PolicyConfig c;
  c.soft_limit = a.soft;
  c.hard_limit = a.hard;
  c.sustain = o.sustain;
  c.grace = o.grace;
  return c;
}

json optionalBytes(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

std::string seconds(Clock::duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + "s";
}

}  // namespace

Result<ArmedMemory> armMemory(const MemoryOptions& opts, pid_t procfs_root) {
  auto choice = chooseSource(opts.source, opts.cgroup_root);
  if (!choice) return makeError("--mem-source " + std::string(sourceKindName(opts.source)) +
                                ": " + choice.error().what);
  ArmedMemory a;
  a.source = std::move(choice->source);
  a.skipped = std::move(choice->skipped);
  if (a.source->name() == "procfs" && procfs_root != ::getpid())
    a.source = std::make_unique<ProcfsSource>(procfs_root);
  if (auto lim = a.source->limit()) a.cgroup_max = *lim;
  auto resolve = [&](const char* opt, const std::optional<LimitSpec>& spec,
                     std::optional<uint64_t>& out) -> Result<void> {
    if (!spec) return ok();
    auto v = resolveLimit(*spec, a.cgroup_max);
    if (!v)
      return makeError(std::string(opt) + " " + formatLimitSpec(*spec) + ": " + v.error().what +
                       " (source " + std::string(a.source->name()) + ")");
    out = *v;
    return ok();
  };
  if (auto r = resolve(opts.soft_origin.c_str(), opts.soft, a.soft); !r) return r.error();
  if (auto r = resolve(opts.hard_origin.c_str(), opts.hard, a.hard); !r) return r.error();
  for (auto [origin, v] : {std::pair{&opts.soft_origin, a.soft}, std::pair{&opts.hard_origin, a.hard}})
    if (v && a.cgroup_max && *v >= *a.cgroup_max)
      a.warnings.push_back(*origin + " " + formatBytes(*v) + " is not below the cgroup limit " +
                           formatBytes(*a.cgroup_max) +
                           ": the kernel OOM killer will act first");
  if (a.soft && a.hard && *a.soft > *a.hard)
    return makeError(opts.soft_origin + " " + formatBytes(*a.soft) + " is above " +
                     opts.hard_origin + " " + formatBytes(*a.hard) +
                     " (the soft limit must not exceed the hard one)");
  return a;
}

MemoryWatcher::MemoryWatcher(const MemoryOptions& opts, ArmedMemory armed, EventLog& log,
                             EventLoop& loop, Supervisor& sup)
    : opts_(opts),
      armed_(std::move(armed)),
      log_(log),
      loop_(loop),
      sup_(sup),
      policy_(policyConfig(opts, armed_)) {
  if (opts_.termination_log)
    termination_log_ = opts_.termination_log;
  else if (::access(kDefaultTerminationLog, F_OK) == 0)
    termination_log_ = kDefaultTerminationLog;
}

void MemoryWatcher::start() {
  for (const auto& why : armed_.skipped) log_.message(LogLevel::Debug, "memory: skipped " + why);
  for (const auto& w : armed_.warnings) log_.message(LogLevel::Warning, "memory: " + w);
  log_.event(LogLevel::Info, "mem_armed",
             json{{"source", armed_.source->name()},
                  {"location", armed_.source->location()},
                  {"metric", metricName(opts_.metric)},
                  {"limit_bytes", optionalBytes(armed_.soft)},
                  {"hard_limit_bytes", optionalBytes(armed_.hard)},
                  {"cgroup_max_bytes", optionalBytes(armed_.cgroup_max)},
                  {"interval_ms", opts_.interval.count()}});
  if (auto path = armed_.source->eventsPath()) {
    // memory.events changes (oom, oom_kill, max) are announced as file modifications
    // (cgroup-v2.rst, "memory.events ... generates a file modified event"), so an OOM kill
    // wakes us at once instead of at the next sample.
    inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify_ || ::inotify_add_watch(inotify_.get(), path->c_str(), IN_MODIFY) < 0) {
      log_.message(LogLevel::Warning, "memory: cannot watch " + *path + " (" +
                                          std::strerror(errno) + "); sampling only");
      inotify_.reset();
    } else if (auto w = loop_.watch(inotify_.get(), [this] { onEventsChanged(); }); !w) {
      inotify_.reset();
    }
  }
  sup_.addExitHook([this](int code, const std::string& reason) { onExit(code, reason); });
  sampleNow();
}

void MemoryWatcher::onEventsChanged() {
  char buf[4096];
  while (::read(inotify_.get(), buf, sizeof buf) > 0) {
  }
  if (!killed_) sampleNow();
}

void MemoryWatcher::reportFault(const std::string& what) {
  history_.clear();
  if (fault_logged_) return;
  fault_logged_ = true;
  log_.message(LogLevel::Warning, "memory: " + what + "; the child keeps running, retrying");
}

void MemoryWatcher::sampleNow() {
  if (timer_) {
    loop_.cancel(*timer_);
    timer_.reset();
  }
  auto now = Clock::now();
  auto s = armed_.source->sample(opts_.metric);
  if (!s) {
    reportFault(s.error().what);
    Decision d = policy_.onTimer(now);
    handle(d, nullptr);
    scheduleNext(d.deadline);
    return;
  }
  if (fault_logged_) {
    fault_logged_ = false;
    log_.message(LogLevel::Info, "memory: source readable again");
  }
  history_.add({s->usage, now});
  last_oom_kill_ = s->oom_kill;
  Decision d = policy_.step({s->usage, s->oom_kill}, now);
  handle(d, &*s);
  // A graceful action moves the grace deadline to when the signal went out.
  if (d.action == PolicyAction::Graceful) d.deadline = policy_.startGraceAt(Clock::now());
  scheduleNext(d.deadline);
}

void MemoryWatcher::scheduleNext(std::optional<Clock::time_point> deadline) {
  if (killed_) return;  // everything is being killed: nothing left to decide
  auto now = Clock::now();
  Clock::duration delay = fault_logged_ || !opts_.adaptive ? Clock::duration(opts_.interval)
                                        : nextSampleDelay(history_.points(),
                                                          {armed_.soft, armed_.hard,
                                                           armed_.cgroup_max, kAssumedLeakRate},
                                                          opts_.interval);
  auto when = now + delay;
  if (deadline && *deadline < when) when = std::max(*deadline, now);
  timer_ = loop_.schedule(when, [this] {
    timer_.reset();
    sampleNow();
  });
}

void MemoryWatcher::handle(const Decision& d, const MemorySample* s) {
  if (d.oom_kill_delta > 0)
    log_.event(LogLevel::Warning, "kernel_oom", json{{"oom_kill", d.oom_kill_delta}});
  switch (d.action) {
    case PolicyAction::None:
      return;
    case PolicyAction::Graceful:
      if (s) startGraceful(d, *s);
      return;
    case PolicyAction::Kill:
      killAll(d);
      return;
  }
}

void MemoryWatcher::startGraceful(const Decision& d, const MemorySample& s) {
  action_started_ = Clock::now();
  bool hard = d.reason == PolicyReason::Hard;
  uint64_t limit = hard ? armed_.hard.value_or(0) : armed_.soft.value_or(0);
  log_.event(LogLevel::Warning, "mem_exceeded",
             json{{"usage_bytes", s.usage},
                  {"limit_bytes", limit},
                  {"limit", hard ? "hard" : "soft"},
                  {"metric", metricName(opts_.metric)},
                  {"breakdown", json{{"current", s.current},
                                     {"anon", s.anon},
                                     {"inactive_file", s.inactive_file},
                                     {"file_mapped", s.file_mapped}}}});
  TerminationReport r;
  r.metric = std::string(metricName(opts_.metric));
  r.source = std::string(armed_.source->name());
  r.usage = s.usage;
  r.limit = limit;
  r.trigger = hard ? "crossed the hard limit"
                   : "stayed at or over the soft limit for " + formatDuration(opts_.sustain) +
                         ":";
  if (hard) r.trigger += ":";
  r.cgroup_max = armed_.cgroup_max;
  r.action = "sent " + signalName(opts_.signal) + " to " + targetName(opts_.target) + " (pid " +
             std::to_string(sup_.child()) + "), SIGKILL after " + formatDuration(opts_.grace);
  report_ = std::move(r);
  // The reason goes to the termination log before the signal (SPEC §3: log, then signal), but
  // the scan for the largest processes comes after it: under a fast leak every millisecond
  // before the signal is memory the kernel OOM killer may claim first.
  if (termination_log_) {
    writeReport();
  }
  sup_.setMemoryExit(opts_.exit_code);
  sup_.signalTarget(opts_.target, opts_.signal);
  if (auto top = topProcessesByRss(::getpid(), 5)) {
    report_->top = std::move(*top);
    if (termination_log_) (void)writeTerminationLog(*termination_log_, formatTerminationLog(*report_));
  }
  log_.event(LogLevel::Warning, "mem_kill",
             json{{"signal", signalName(opts_.signal)}, {"target", targetName(opts_.target)},
                  {"grace_ms", opts_.grace.count()}});
}

void MemoryWatcher::killAll(const Decision& d) {
  killed_ = true;
  if (timer_) {
    loop_.cancel(*timer_);
    timer_.reset();
  }
  sup_.setMemoryExit(opts_.exit_code);
  log_.event(LogLevel::Warning, "mem_kill",
             json{{"signal", "SIGKILL"}, {"target", "all"}, {"reason", reasonName(d.reason)}});
  sup_.killEverything();
  if (report_)
    report_->outcome = "SIGKILL sent to every process " + seconds(Clock::now() - action_started_) +
                       " after the graceful signal (" + std::string(reasonName(d.reason)) + ")";
}

void MemoryWatcher::onExit(int code, const std::string&) {
  // The program may have been killed by the kernel between two samples, and vigil exits right
  // after reaping it: one last read so that every OOM kill is reported.
  if (auto s = armed_.source->sample(opts_.metric); s && last_oom_kill_ &&
                                                      s->oom_kill > *last_oom_kill_)
    log_.event(LogLevel::Warning, "kernel_oom", json{{"oom_kill", s->oom_kill - *last_oom_kill_}});
  if (!report_ || !termination_log_) return;
  if (report_->outcome.empty())
    report_->outcome = "the program stopped " + seconds(Clock::now() - action_started_) +
                       " after " + signalName(opts_.signal);
  report_->outcome += "; vigil exited with code " + std::to_string(code);
  writeReport();
}

void MemoryWatcher::writeReport() {
  auto w = writeTerminationLog(*termination_log_, formatTerminationLog(*report_));
  // Said once: the rewrite with the outcome fails for the same reason as the first write.
  if (!w && !termination_log_warned_) {
    termination_log_warned_ = true;
    log_.message(LogLevel::Warning, "termination log: " + w.error().what + ", ignoring");
  }
}

}  // namespace vigil
