// SPDX-License-Identifier: Apache-2.0
// Unit tests for the adaptive sampling rule.
#include <doctest/doctest.h>

#include <vector>

#include "sampler.h"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

const std::chrono::steady_clock::time_point kT0 = std::chrono::steady_clock::time_point{} + 1h;
constexpr uint64_t kMiB = 1 << 20;

// Samples of `usages` taken `step` apart.
std::vector<SamplePoint> series(std::initializer_list<uint64_t> usages,
                                std::chrono::milliseconds step) {
  std::vector<SamplePoint> out;
  auto t = kT0;
  for (uint64_t u : usages) {
    out.push_back({u, t});
    t += step;
  }
  return out;
}

}  // namespace

TEST_SUITE("sampler") {
  TEST_CASE("waits the full interval without growth or history") {
    SamplerLimits lim{1000 * kMiB, 2000 * kMiB, std::nullopt};
    CHECK(nextSampleDelay({}, lim, 1s) == 1s);
    CHECK(nextSampleDelay(series({500 * kMiB}, 1s), lim, 1s) == 1s);
    CHECK(nextSampleDelay(series({500 * kMiB, 500 * kMiB}, 1s), lim, 1s) == 1s);
    CHECK(nextSampleDelay(series({900 * kMiB, 600 * kMiB}, 1s), lim, 1s) == 1s);
  }

  TEST_CASE("waits the full interval without limits above usage") {
    auto s = series({100 * kMiB, 200 * kMiB}, 100ms);
    CHECK(nextSampleDelay(s, SamplerLimits{}, 1s) == 1s);
    CHECK(nextSampleDelay(s, SamplerLimits{150 * kMiB, std::nullopt, std::nullopt}, 1s) == 1s);
  }

  TEST_CASE("samples at half the projected time to the nearest limit") {
    // 100MiB/s; 300MiB to the soft limit: 3s away, so sample in 1.5s, capped by the interval.
    auto s = series({600 * kMiB, 700 * kMiB}, 1s);
    SamplerLimits lim{1000 * kMiB, 2000 * kMiB, std::nullopt};
    CHECK(nextSampleDelay(s, lim, 1s) == 1s);
    CHECK(nextSampleDelay(s, lim, 10s) == 1500ms);
    // Over the soft limit: the hard limit (or the cgroup max, if nearer) is the target.
    auto over = series({1100 * kMiB, 1200 * kMiB}, 1s);
    CHECK(nextSampleDelay(over, lim, 10s) == 4s);
    lim.cgroup_max = 1400 * kMiB;
    CHECK(nextSampleDelay(over, lim, 10s) == 1s);
  }

  TEST_CASE("follows a surge in the newest pair") {
    // Flat, then +200MiB in 100ms (2GiB/s): 100MiB left means 50ms to the limit, sample in 25ms.
    std::vector<SamplePoint> s = {{300 * kMiB, kT0},
                                  {300 * kMiB, kT0 + 100ms},
                                  {300 * kMiB, kT0 + 200ms},
                                  {500 * kMiB, kT0 + 300ms}};
    SamplerLimits lim{std::nullopt, 600 * kMiB, std::nullopt};
    auto d = nextSampleDelay(s, lim, 1s);
    CHECK(d >= 24ms);
    CHECK(d <= 26ms);
  }

  TEST_CASE("uses the window's rate when the newest pair is noisy") {
    // Steady 10MiB per 100ms, but the last pair dipped: the window still shows 100MiB/s.
    std::vector<SamplePoint> s = {{100 * kMiB, kT0},
                                  {110 * kMiB, kT0 + 100ms},
                                  {125 * kMiB, kT0 + 200ms},
                                  {130 * kMiB, kT0 + 300ms}};
    SamplerLimits lim{std::nullopt, 150 * kMiB, std::nullopt};
    CHECK(nextSampleDelay(s, lim, 1s) == 100ms);
  }

  TEST_CASE("never samples faster than the floor") {
    auto s = series({100 * kMiB, 1000 * kMiB}, 10ms);
    SamplerLimits lim{std::nullopt, 1001 * kMiB, std::nullopt};
    CHECK(nextSampleDelay(s, lim, 1s) == kMinSampleDelay);
    CHECK(nextSampleDelay(s, lim, 5ms) == 5ms);  // an interval below the floor wins
  }

  TEST_CASE("ignores pairs taken at the same instant") {
    std::vector<SamplePoint> s = {{100, kT0}, {900, kT0}};
    CHECK(nextSampleDelay(s, SamplerLimits{1000, std::nullopt, std::nullopt}, 1s) == 1s);
  }

  TEST_CASE("keeps samples oldest first, thinning old ones instead of dropping them") {
    SampleHistory h;
    const uint64_t n = 3 * SampleHistory::kCapacity;
    for (uint64_t i = 1; i <= n; ++i) h.add({i, kT0 + std::chrono::milliseconds(10 * i)});
    auto pts = h.points();
    REQUIRE(pts.size() <= SampleHistory::kCapacity);
    CHECK(pts.back().usage == n);
    CHECK(pts.front().usage == 1);  // the span still reaches back to the first sample
    for (size_t i = 1; i < pts.size(); ++i) CHECK(pts[i - 1].at < pts[i].at);
    h.clear();
    CHECK(h.points().empty());
  }

  TEST_CASE("a leak that grows in bursts keeps samples frequent between the bursts") {
    // 20 MiB every 100 ms, sampled at 10 ms: after a burst, nine flat samples follow. The
    // rate over the span must still show 200 MiB/s, so the delay stays short near the limit.
    SampleHistory h;
    uint64_t usage = 100 * kMiB;
    for (int ms = 0; ms <= 550; ms += 10) {  // ends 50 ms after the last burst
      if (ms % 100 == 0) usage += 20 * kMiB;
      h.add({usage, kT0 + std::chrono::milliseconds(ms)});
    }
    SamplerLimits lim{std::nullopt, 250 * kMiB, 256 * kMiB};
    // 30 MiB left at 200 MiB/s is 150 ms: half of it, not the full second.
    CHECK(nextSampleDelay(h.points(), lim, 1s) <= 100ms);
  }

  TEST_CASE("an assumed leak rate bounds the delay even before any growth is seen") {
    // 64 MiB below the hard limit at an assumed 1 GiB/s is 62.5 ms, flat history or not.
    std::vector<SamplePoint> flat = {{100 * kMiB, kT0}, {100 * kMiB, kT0 + 1s}};
    SamplerLimits lim{std::nullopt, 164 * kMiB, std::nullopt, kAssumedLeakRate};
    auto d = nextSampleDelay(flat, lim, 1s);
    CHECK(d >= 60ms);
    CHECK(d <= 65ms);
    std::vector<SamplePoint> one = {{100 * kMiB, kT0}};
    CHECK(nextSampleDelay(one, lim, 1s) <= 65ms);
    lim.assumed_rate.reset();
    CHECK(nextSampleDelay(flat, lim, 1s) == 1s);
    // Far from every limit the interval stands.
    SamplerLimits far{std::nullopt, 8192 * kMiB, std::nullopt, kAssumedLeakRate};
    CHECK(nextSampleDelay(flat, far, 1s) == 1s);
  }
}
