// SPDX-License-Identifier: Apache-2.0
// The escalation state machine of the memory watcher.
#include "policy.h"

#include <utility>

namespace vigil {

std::string_view reasonName(PolicyReason reason) {
  switch (reason) {
    case PolicyReason::None:
      return "";
    case PolicyReason::Soft:
      return "soft";
    case PolicyReason::Hard:
      return "hard";
    case PolicyReason::GraceExpired:
      return "grace expired";
    case PolicyReason::KernelOom:
      return "kernel OOM";
  }
  return "";
}

Policy::Policy(PolicyConfig config) : config_(std::move(config)) {}

std::optional<SteadyClock::time_point> Policy::deadline() const {
  switch (state_) {
    case PolicyState::Idle:
      if (soft_since_) return *soft_since_ + config_.sustain;
      return std::nullopt;
    case PolicyState::Graceful:
      return grace_end_;
    case PolicyState::Done:
      return std::nullopt;
  }
  return std::nullopt;
}

Decision Policy::graceful(PolicyReason reason, uint64_t oom_kill, SteadyClock::time_point now) {
  state_ = PolicyState::Graceful;
  soft_since_.reset();
  grace_end_ = now + config_.grace;
  oom_kill_at_trigger_ = oom_kill;
  Decision d;
  d.action = PolicyAction::Graceful;
  d.reason = reason;
  d.deadline = grace_end_;
  return d;
}

Decision Policy::step(const PolicyInput& in, SteadyClock::time_point now) {
  // A counter that went down belongs to a new cgroup: take it as the new baseline.
  uint64_t oom_delta = 0;
  if (last_oom_kill_ && in.oom_kill > *last_oom_kill_) oom_delta = in.oom_kill - *last_oom_kill_;
  last_oom_kill_ = in.oom_kill;

  const bool over_hard = config_.hard_limit && in.usage >= *config_.hard_limit;
  // Only a fresh crossing kills during grace: when the hard limit itself started the action,
  // staying over it is what the graceful signal is meant to fix.
  const bool crossed_hard = over_hard && !above_hard_;
  above_hard_ = over_hard;

  Decision d;
  switch (state_) {
    case PolicyState::Idle:
      if (over_hard) {
        d = graceful(PolicyReason::Hard, in.oom_kill, now);
        break;
      }
      if (config_.soft_limit && in.usage >= *config_.soft_limit) {
        if (!soft_since_) soft_since_ = now;
        if (now - *soft_since_ >= config_.sustain) {
          d = graceful(PolicyReason::Soft, in.oom_kill, now);
          break;
        }
      } else {
        soft_since_.reset();
      }
      d.deadline = deadline();
      break;
    case PolicyState::Graceful:
      if (crossed_hard) {
        d.reason = PolicyReason::Hard;
      } else if (in.oom_kill > oom_kill_at_trigger_) {
        d.reason = PolicyReason::KernelOom;
      } else if (now >= grace_end_) {
        d.reason = PolicyReason::GraceExpired;
      } else {
        d.deadline = grace_end_;
        break;
      }
      d.action = PolicyAction::Kill;
      state_ = PolicyState::Done;
      break;
    case PolicyState::Done:
      break;
  }
  d.oom_kill_delta = oom_delta;
  return d;
}

SteadyClock::time_point Policy::startGraceAt(SteadyClock::time_point now) {
  if (state_ == PolicyState::Graceful) grace_end_ = now + config_.grace;
  return grace_end_;
}

Decision Policy::onTimer(SteadyClock::time_point now) {
  Decision d;
  if (state_ == PolicyState::Graceful && now >= grace_end_) {
    d.action = PolicyAction::Kill;
    d.reason = PolicyReason::GraceExpired;
    state_ = PolicyState::Done;
    return d;
  }
  d.deadline = deadline();
  return d;
}

}  // namespace vigil
