// SPDX-License-Identifier: Apache-2.0
// Table tests for the memory escalation state machine: sustain, reset, hard limit, latching,
// and the three ways the grace period ends in SIGKILL.
#include <doctest/doctest.h>

#include <vector>

#include "policy.h"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

const SteadyClock::time_point kT0 = SteadyClock::time_point{} + 1000h;

SteadyClock::time_point at(std::chrono::milliseconds ms) { return kT0 + ms; }

// One row: a sample at `ms` (or, when `timer`, a timer wake-up) and the expected decision.
struct Row {
  std::chrono::milliseconds ms;
  uint64_t usage;
  uint64_t oom_kill;
  PolicyAction action;
  PolicyReason reason;
  bool timer = false;
};

constexpr auto None = PolicyAction::None;
constexpr auto Graceful = PolicyAction::Graceful;
constexpr auto Kill = PolicyAction::Kill;
constexpr auto NoReason = PolicyReason::None;

PolicyConfig config(std::optional<uint64_t> soft, std::optional<uint64_t> hard) {
  PolicyConfig c;
  c.soft_limit = soft;
  c.hard_limit = hard;
  c.sustain = 5s;
  c.grace = 30s;
  return c;
}

void run(Policy& p, const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    CAPTURE(r.ms.count());
    CAPTURE(r.usage);
    Decision d = r.timer ? p.onTimer(at(r.ms)) : p.step({r.usage, r.oom_kill}, at(r.ms));
    CHECK(d.action == r.action);
    CHECK(d.reason == r.reason);
  }
}

}  // namespace

TEST_SUITE("policy") {
  TEST_CASE("acts on the soft limit only after every sample stayed over it for sustain") {
    Policy p(config(100, std::nullopt));
    run(p, {{0ms, 100, 0, None, NoReason},
            {1000ms, 150, 0, None, NoReason},
            {4999ms, 101, 0, None, NoReason},
            {5000ms, 100, 0, Graceful, PolicyReason::Soft}});
    CHECK(p.state() == PolicyState::Graceful);
  }

  TEST_CASE("one sample below the soft limit resets the streak") {
    Policy p(config(100, std::nullopt));
    run(p, {{0ms, 120, 0, None, NoReason},
            {4000ms, 120, 0, None, NoReason},
            {4500ms, 99, 0, None, NoReason},
            {5000ms, 120, 0, None, NoReason},
            {9999ms, 120, 0, None, NoReason},
            {10000ms, 120, 0, Graceful, PolicyReason::Soft}});
  }

  TEST_CASE("asks to be woken when the sustain streak ends and when grace ends") {
    Policy p(config(100, std::nullopt));
    Decision d = p.step({50, 0}, at(0ms));
    CHECK_FALSE(d.deadline.has_value());
    d = p.step({150, 0}, at(2000ms));
    CHECK(d.deadline == at(7000ms));
    CHECK(p.overSoftSince() == at(2000ms));
    d = p.onTimer(at(7000ms));  // no sample: nothing can be concluded
    CHECK(d.action == None);
    d = p.step({150, 0}, at(7000ms));
    CHECK(d.action == Graceful);
    CHECK(d.deadline == at(37000ms));
  }

  TEST_CASE("acts at once on the hard limit") {
    SUBCASE("hard alone") {
      Policy p(config(std::nullopt, 200));
      run(p, {{0ms, 199, 0, None, NoReason}, {10ms, 200, 0, Graceful, PolicyReason::Hard}});
    }
    SUBCASE("hard beats an unfinished soft streak") {
      Policy p(config(100, 200));
      run(p, {{0ms, 150, 0, None, NoReason}, {100ms, 250, 0, Graceful, PolicyReason::Hard}});
    }
  }

  TEST_CASE("never cancels the action once started") {
    Policy p(config(100, std::nullopt));
    run(p, {{0ms, 150, 0, None, NoReason},
            {5000ms, 150, 0, Graceful, PolicyReason::Soft},
            {6000ms, 10, 0, None, NoReason},
            {20000ms, 0, 0, None, NoReason},
            {34999ms, 0, 0, None, NoReason},
            {35000ms, 0, 0, Kill, PolicyReason::GraceExpired}});
  }

  TEST_CASE("escalates to SIGKILL once the grace period expires") {
    SUBCASE("on a timer") {
      Policy p(config(100, std::nullopt));
      run(p, {{0ms, 150, 0, None, NoReason},
              {5000ms, 150, 0, Graceful, PolicyReason::Soft},
              {34999ms, 0, 0, None, NoReason, true},
              {35000ms, 0, 0, Kill, PolicyReason::GraceExpired, true},
              {35001ms, 0, 0, None, NoReason, true},
              {36000ms, 500, 0, None, NoReason}});
      CHECK(p.state() == PolicyState::Done);
    }
    SUBCASE("with a zero grace, at the first wake-up") {
      PolicyConfig c = config(std::nullopt, 100);
      c.grace = 0s;
      Policy p(c);
      Decision d = p.step({100, 0}, at(0ms));
      CHECK(d.action == Graceful);
      CHECK(d.deadline == at(0ms));
      CHECK(p.onTimer(at(0ms)).action == Kill);
    }
  }

  TEST_CASE("escalates at once when the hard limit is crossed during grace") {
    SUBCASE("after a soft trigger") {
      Policy p(config(100, 200));
      run(p, {{0ms, 150, 0, None, NoReason},
              {5000ms, 150, 0, Graceful, PolicyReason::Soft},
              {5100ms, 199, 0, None, NoReason},
              {5200ms, 200, 0, Kill, PolicyReason::Hard}});
    }
    SUBCASE("after a hard trigger, only a fresh crossing kills") {
      Policy p(config(100, 200));
      run(p, {{0ms, 250, 0, Graceful, PolicyReason::Hard},
              {10ms, 260, 0, None, NoReason},
              {1000ms, 240, 0, None, NoReason},
              {2000ms, 150, 0, None, NoReason},
              {2010ms, 210, 0, Kill, PolicyReason::Hard}});
    }
  }

  TEST_CASE("escalates at once on a new kernel OOM kill during grace") {
    Policy p(config(100, std::nullopt));
    run(p, {{0ms, 150, 3, None, NoReason},
            {5000ms, 150, 3, Graceful, PolicyReason::Soft},
            {6000ms, 150, 3, None, NoReason},
            {7000ms, 90, 4, Kill, PolicyReason::KernelOom}});
  }

  TEST_CASE("reports new kernel OOM kills whatever the state") {
    Policy p(config(100, std::nullopt));
    CHECK(p.step({10, 7}, at(0ms)).oom_kill_delta == 0);  // history before vigil
    CHECK(p.step({10, 7}, at(1ms)).oom_kill_delta == 0);
    Decision d = p.step({10, 9}, at(2ms));
    CHECK(d.oom_kill_delta == 2);
    CHECK(d.action == None);  // a kernel OOM kill alone starts no action
    CHECK(p.step({10, 1}, at(3ms)).oom_kill_delta == 0);  // counter reset: new baseline
    CHECK(p.step({10, 2}, at(4ms)).oom_kill_delta == 1);
    p.step({150, 2}, at(5ms));
    p.step({150, 2}, at(5005ms));
    d = p.step({150, 3}, at(5006ms));
    CHECK(d.action == Kill);
    CHECK(d.oom_kill_delta == 1);
    CHECK(p.step({150, 5}, at(5007ms)).oom_kill_delta == 2);  // reported after Done too
  }

  TEST_CASE("acts on the first sample over the soft limit when sustain is zero") {
    PolicyConfig c = config(100, std::nullopt);
    c.sustain = 0s;
    Policy p(c);
    run(p, {{0ms, 99, 0, None, NoReason}, {10ms, 100, 0, Graceful, PolicyReason::Soft}});
  }

  TEST_CASE("never acts without limits") {
    Policy p(config(std::nullopt, std::nullopt));
    run(p, {{0ms, UINT64_MAX, 0, None, NoReason}, {100000ms, UINT64_MAX, 5, None, NoReason}});
    CHECK(p.state() == PolicyState::Idle);
  }

  TEST_CASE("names its reasons") {
    CHECK(reasonName(PolicyReason::GraceExpired) == "grace expired");
    CHECK(reasonName(PolicyReason::KernelOom) == "kernel OOM");
  }
}
