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
    std::move(points_.begin() + 1, points_.end(), points_.begin());
    --size_;
  }
  points_[size_++] = p;
}

Clock::duration nextSampleDelay(std::span<const SamplePoint> history, const SamplerLimits& limits,
                                Clock::duration interval) {
  const Clock::duration floor = std::min<Clock::duration>(kMinSampleDelay, interval);
  if (history.size() < 2) return interval;
  const SamplePoint& last = history.back();

  // The larger of the newest pair's slope and the whole window's: a surge shows in the first
  // before the second, and one noisy pair cannot hide a steady climb.
  double growth = 0;
  if (auto r = rate(history[history.size() - 2], last)) growth = std::max(growth, *r);
  if (auto r = rate(history.front(), last)) growth = std::max(growth, *r);
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
