// SPDX-License-Identifier: Apache-2.0
// The --health line in text and JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "health.h"

using namespace vigil;

TEST_SUITE("health") {
  TEST_CASE("prints usage of limit and the metric") {
    HealthResult r{412ull << 20, 1536ull << 20, "workingset", "cgroup2", false};
    CHECK(formatHealth(r, LogFormat::Text) == "ok 412MiB of 1.5GiB (workingset)\n");
    r.over = true;
    CHECK(formatHealth(r, LogFormat::Text) == "over 412MiB of 1.5GiB (workingset)\n");
  }

  TEST_CASE("says when no limit is set") {
    HealthResult r{1ull << 20, std::nullopt, "rss", "procfs", false};
    CHECK(formatHealth(r, LogFormat::Text) == "ok 1MiB (rss, no limit set)\n");
  }

  TEST_CASE("prints one JSON object with --log-format json") {
    HealthResult r{100, 200, "current", "cgroup1", false};
    auto j = nlohmann::json::parse(formatHealth(r, LogFormat::Json));
    CHECK(j["status"] == "ok");
    CHECK(j["usage_bytes"] == 100);
    CHECK(j["limit_bytes"] == 200);
    CHECK(j["source"] == "cgroup1");
  }
}
