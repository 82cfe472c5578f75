// SPDX-License-Identifier: Apache-2.0
// The memory policy: a pure state machine from samples and time to actions (graceful signal,
// then SIGKILL). No kernel calls; the caller injects the clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil {

using SteadyClock = std::chrono::steady_clock;

/// The limits and timings of the policy (resolved to bytes).
struct PolicyConfig {
  std::optional<uint64_t> soft_limit;  ///< act when every sample stays at or over it for `sustain`
  std::optional<uint64_t> hard_limit;  ///< act at once; during grace, SIGKILL at once
  SteadyClock::duration sustain = std::chrono::seconds(5);
  SteadyClock::duration grace = std::chrono::seconds(30);
};

/// One input of the policy.
struct PolicyInput {
  uint64_t usage = 0;     ///< the chosen metric, in bytes
  uint64_t oom_kill = 0;  ///< the cumulative kernel oom_kill counter
};

/// What the caller must do now.
enum class PolicyAction { None, Graceful, Kill };

/// Why an action was taken.
enum class PolicyReason { None, Soft, Hard, GraceExpired, KernelOom };

/// Where the policy is; it only moves forward.
enum class PolicyState { Idle, Graceful, Done };

/// The result of one step.
struct Decision {
  PolicyAction action = PolicyAction::None;
  PolicyReason reason = PolicyReason::None;
  /// When to call step() (with a fresh sample) or onTimer() again at the latest: the end of a
  /// sustain streak or of the grace period. nullopt: only samples matter.
  std::optional<SteadyClock::time_point> deadline;
  uint64_t oom_kill_delta = 0;  ///< new kernel OOM kills since the previous sample (kernel_oom)
};

/// "soft", "hard", "grace expired", "kernel OOM" (or "" for None).
std::string_view reasonName(PolicyReason reason);

/// Idle -> Graceful (soft sustained or hard crossed) -> Done (SIGKILL: grace expired, the hard
/// limit crossed again, or a kernel OOM kill during grace). The action is never cancelled.
class Policy {
 public:
  explicit Policy(PolicyConfig config);
  /// Feeds one sample taken at `now`.
  Decision step(const PolicyInput& in, SteadyClock::time_point now);
  /// Called at a deadline when no sample is available: only the grace expiry is decided.
  Decision onTimer(SteadyClock::time_point now);

  /// Starts the grace period at `now`, the moment the graceful signal was actually sent (the
  /// termination log and process scan before it must not eat into it); returns its end.
  SteadyClock::time_point startGraceAt(SteadyClock::time_point now);
  PolicyState state() const { return state_; }
  /// When usage first reached the soft limit in the current streak.
  std::optional<SteadyClock::time_point> overSoftSince() const { return soft_since_; }

 private:
  Decision graceful(PolicyReason reason, uint64_t oom_kill, SteadyClock::time_point now);
  std::optional<SteadyClock::time_point> deadline() const;

  PolicyConfig config_;
  PolicyState state_ = PolicyState::Idle;
  std::optional<SteadyClock::time_point> soft_since_;
  std::optional<uint64_t> last_oom_kill_;
  uint64_t oom_kill_at_trigger_ = 0;
  bool above_hard_ = false;  ///< the previous sample was at or over the hard limit
  SteadyClock::time_point grace_end_{};
};

}  // namespace vigil
