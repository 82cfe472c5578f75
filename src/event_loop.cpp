// SPDX-License-Identifier: Apache-2.0
// The never-die boundary: each callback is wrapped so that an unexpected exception is logged
// and supervision goes on (a dead PID 1 takes the whole container with it).
#include "event_loop.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <vector>

namespace vigil {

Result<EventLoop> EventLoop::create(EventLog& log) {
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return systemError("epoll_create1");
  // CLOCK_MONOTONIC is what std::chrono::steady_clock reads on Linux, so deadlines computed
  // from Clock::now() can be armed as absolute times.
  UniqueFd tfd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!tfd) return systemError("timerfd_create");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = tfd.get();
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, tfd.get(), &ev) != 0) return systemError("epoll_ctl");
  return EventLoop(log, std::move(ep), std::move(tfd));
}

EventLoop::EventLoop(EventLog& log, UniqueFd epoll, UniqueFd timer)
    : log_(&log), epoll_(std::move(epoll)), timer_(std::move(timer)) {}

Result<void> EventLoop::watch(int fd, std::function<void()> on_ready) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return systemError("epoll_ctl");
  watchers_[fd] = std::move(on_ready);
  return ok();
}

void EventLoop::unwatch(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  watchers_.erase(fd);
}

EventLoop::TimerId EventLoop::schedule(Clock::time_point when, std::function<void()> fn) {
  TimerId id = next_id_++;
  timers_.emplace(when, std::make_pair(id, std::move(fn)));
  armTimer();
  return id;
}

void EventLoop::cancel(TimerId id) {
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      break;
    }
  }
  armTimer();
}

void EventLoop::armTimer() {
  itimerspec spec{};
  Clock::time_point when{};
  if (!timers_.empty()) {
    when = timers_.begin()->first;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // an all-zero it_value would disarm the timer
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  if (when == armed_for_) return;
  // With no timers the all-zero spec disarms it, so an idle vigil has no wake-ups at all.
  if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
    log_->message(LogLevel::Error, "timerfd_settime failed, ignoring");
  armed_for_ = when;
}

void EventLoop::fireTimers() {
  uint64_t expirations = 0;
  ssize_t n = ::read(timer_.get(), &expirations, sizeof expirations);
  (void)n;  // EAGAIN only means the timer was re-armed since it fired
  auto now = Clock::now();
  std::vector<std::function<void()>> due;
  while (!timers_.empty() && timers_.begin()->first <= now) {
    due.push_back(std::move(timers_.begin()->second.second));
    timers_.erase(timers_.begin());
  }
  armed_for_ = {};
  armTimer();
  for (auto& fn : due) guarded(fn);
}

void EventLoop::guarded(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    log_->message(LogLevel::Error, std::string("internal error: ") + e.what() + ", ignoring");
  } catch (...) {
    log_->message(LogLevel::Error, "internal error, ignoring");
  }
}

void EventLoop::run() {
  running_ = true;
  while (running_) {
    epoll_event events[8];
    int n = ::epoll_wait(epoll_.get(), events, 8, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_->message(LogLevel::Error, "epoll_wait failed, retrying");
      continue;
    }
    for (int i = 0; i < n && running_; ++i) {
      int fd = events[i].data.fd;
      if (fd == timer_.get()) {
        fireTimers();
        continue;
      }
      auto it = watchers_.find(fd);
      if (it == watchers_.end()) continue;
      auto fn = it->second;  // a copy: the callback may unwatch itself
      guarded(fn);
    }
  }
}

}  // namespace vigil
