// SPDX-License-Identifier: Apache-2.0
// Adaptive sample scheduling for the memory watcher.
#include "sampler.h"

#include <algorithm>

namespace vigil {
namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

// Growth in bytes per second from `a` to `b`; nullopt when no time passed between them.
std::optional<double> rate(const SamplePoint& a, const SamplePoint& b) {
  double dt = Seconds(b.at - a.at).count();
  if (dt <= 0) return std::nullopt;
  return (static_cast<double>(b.usage) - static_cast<double>(a.usage)) / dt;
}

}  // namespace

void SampleHistory::add(SamplePoint p) {
  if (size_ == kCapacity) {
    // Full: thin the older half to every other point. The history then spans ever longer at
    // coarser resolution, so a leak that grows in bursts (an allocator's arena, a batch job)
    // still shows its rate while samples bunch up between two bursts.
    size_t half = kCapacity / 2, kept = 0;
    for (size_t i = 0; i < half; i += 2) points_[kept++] = points_[i];
    for (size_t i = half; i < size_; ++i) points_[kept++] = points_[i];
    size_ = kept;
  }
  points_[size_++] = p;
}

Clock::duration nextSampleDelay(std::span<const SamplePoint> history, const SamplerLimits& limits,
                                Clock::duration interval) {
  const Clock::duration floor = std::min<Clock::duration>(kMinSampleDelay, interval);
  if (history.empty()) return interval;
  const SamplePoint& last = history.back();
  // Never wait longer than the headroom to the nearest limit lasts at the assumed rate: the
  // growth seen so far says nothing about a leak that starts right after this sample.
  Clock::duration cap = interval;
  if (limits.assumed_rate && *limits.assumed_rate > 0) {
    for (std::optional<uint64_t> limit : {limits.soft, limits.hard, limits.cgroup_max}) {
      if (!limit || *limit <= last.usage) continue;
      double secs = static_cast<double>(*limit - last.usage) / *limits.assumed_rate;
      if (secs < Seconds(cap).count())
        cap = std::max(floor, std::chrono::duration_cast<Clock::duration>(Seconds(secs)));
    }
  }
  interval = cap;
  if (history.size() < 2) return interval;

  // The fastest growth from any kept point to the newest: a surge shows in the newest pair
  // first, and a burst-wise climb shows only over a span that includes a burst.
  double growth = 0;
  for (size_t i = 0; i + 1 < history.size(); ++i)
    if (auto r = rate(history[i], last)) growth = std::max(growth, *r);
  if (growth <= 0) return interval;

  std::optional<uint64_t> nearest;
  for (std::optional<uint64_t> limit : {limits.soft, limits.hard, limits.cgroup_max})
    if (limit && *limit > last.usage && (!nearest || *limit < *nearest)) nearest = limit;
  if (!nearest) return interval;

  // Aim at half the projected time to the limit, so the next sample lands before the crossing
  // even if growth speeds up a little.
  double half = static_cast<double>(*nearest - last.usage) / growth / 2;
  if (half >= Seconds(interval).count()) return interval;
  auto delay = std::chrono::duration_cast<Clock::duration>(Seconds(half));
  return std::clamp(delay, floor, interval);
}

}  // namespace vigil
