// SPDX-License-Identifier: Apache-2.0
// One epoll loop over the signalfd, one timerfd for every deadline, and any other descriptor
// (inotify for memory.events). Nothing wakes it but an event: no timeouts, no polling.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "event_log.h"
#include "fd.h"
#include "result.h"

namespace vigil {

/// An epoll loop with deadline timers; every callback runs behind an exception firewall.
class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = std::uint64_t;

  /// Creates the epoll instance and the timerfd.
  static Result<EventLoop> create(EventLog& log);

  /// Calls `on_ready` whenever `fd` is readable.
  Result<void> watch(int fd, std::function<void()> on_ready);
  /// Stops watching `fd`.
  void unwatch(int fd);

  /// Runs `fn` once at `when`; returns an id for cancel().
  TimerId schedule(Clock::time_point when, std::function<void()> fn);
  /// Cancels a pending timer; unknown ids are ignored.
  void cancel(TimerId id);

  /// Dispatches events until stop() is called.
  void run();
  /// Makes run() return after the current callback.
  void stop() { running_ = false; }

 private:
  EventLoop(EventLog& log, UniqueFd epoll, UniqueFd timer);
  void armTimer();
  void fireTimers();
  void guarded(const std::function<void()>& fn);

  EventLog* log_;
  UniqueFd epoll_;
  UniqueFd timer_;
  std::map<int, std::function<void()>> watchers_;
  std::multimap<Clock::time_point, std::pair<TimerId, std::function<void()>>> timers_;
  TimerId next_id_ = 1;
  Clock::time_point armed_for_{};
  bool running_ = false;
};

}  // namespace vigil
