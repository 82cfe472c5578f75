// SPDX-License-Identifier: Apache-2.0
// The adaptive sampling rule: sample at most --mem-interval apart, and sooner when usage, at its
// current growth rate, would reach the nearest limit before the next sample. Pure.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace vigil {

/// The shortest delay between two samples.
inline constexpr std::chrono::milliseconds kMinSampleDelay{10};

/// One usage reading and when it was taken.
struct SamplePoint {
  uint64_t usage = 0;
  std::chrono::steady_clock::time_point at{};
};

/// The limits the sampler tries not to overshoot (each optional).
struct SamplerLimits {
  std::optional<uint64_t> soft;  ///< only while usage is below it
  std::optional<uint64_t> hard;
  std::optional<uint64_t> cgroup_max;  ///< where the kernel OOM killer strikes
  /// A growth rate (bytes/s) to assume even when none is seen yet: a leak that starts between
  /// two samples must not get a whole interval before the next one. nullopt: none assumed.
  std::optional<double> assumed_rate;
};

/// The rate the watcher assumes before it has seen any: 1 GiB/s.
inline constexpr double kAssumedLeakRate = 1024.0 * 1024 * 1024;

/// The delay after the newest point of `history` (oldest first) until the next sample: half the
/// projected time to the nearest limit above usage at the fastest growth from any kept point,
/// clamped to [kMinSampleDelay, interval]; `interval` when usage is flat, shrinking or unknown.
std::chrono::steady_clock::duration nextSampleDelay(std::span<const SamplePoint> history,
                                                    const SamplerLimits& limits,
                                                    std::chrono::steady_clock::duration interval);

/// The last few samples, oldest first.
class SampleHistory {
 public:
  /// How many points are kept; older ones are thinned out rather than dropped.
  static constexpr size_t kCapacity = 64;
  /// Appends a point, dropping the oldest when full.
  void add(SamplePoint p);
  /// Forgets every point (e.g. after the source failed).
  void clear() { size_ = 0; }
  /// The kept points, oldest first.
  std::span<const SamplePoint> points() const { return {points_.data(), size_}; }

 private:
  std::array<SamplePoint, kCapacity> points_{};
  size_t size_ = 0;
};

}  // namespace vigil
