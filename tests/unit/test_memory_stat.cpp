// SPDX-License-Identifier: Apache-2.0
// Unit tests for the cgroup memory file parsers.
#include <doctest/doctest.h>

#include "memory_stat.h"

using namespace vigil;

TEST_SUITE("memory_stat") {
  TEST_CASE("parses memory.stat key/value lines") {
    KeyValues kv = parseKeyValues("anon 150994944\nfile 109051904\ninactive_file 67108864\n");
    CHECK(kv.size() == 3);
    CHECK(kv.at("anon") == 150994944);
    CHECK(kv.at("inactive_file") == 67108864);
    CHECK(*requireKey(kv, "file") == 109051904);
  }

  TEST_CASE("skips garbage lines but keeps the good ones") {
    KeyValues kv = parseKeyValues(
        "garbage\n\n  anon   42  \nkey -5\nkey2 12abc\nkey3 1 2\r\ninactive_file 7\r\nx");
    CHECK(kv.size() == 2);
    CHECK(kv.at("anon") == 42);
    CHECK(kv.at("inactive_file") == 7);
    CHECK(kv.count("key") == 0);
    CHECK(kv.count("key2") == 0);
    CHECK(kv.count("key3") == 0);
  }

  TEST_CASE("reports a missing required key by name") {
    KeyValues kv = parseKeyValues("anon 1\n");
    auto r = requireKey(kv, "inactive_file");
    REQUIRE_FALSE(r);
    CHECK(r.error().what == "missing key 'inactive_file'");
    CHECK(valueOr(kv, "oom_kill", 99) == 99);
    CHECK(valueOr(kv, "anon", 99) == 1);
  }

  TEST_CASE("parses memory.events including oom_kill") {
    KeyValues kv = parseKeyValues("low 0\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n");
    CHECK(kv.at("oom_kill") == 1);
    CHECK(kv.at("high") == 12);
  }

  TEST_CASE("parses single-value files") {
    CHECK(*parseCgroupValue("268435456\n") == 268435456);
    CHECK(*parseCgroupValue("  0 \n") == 0);
    CHECK(*parseCgroupValue("18446744073709551615") == UINT64_MAX);
    SUBCASE("garbage") {
      auto r = parseCgroupValue("12ab\n");
      REQUIRE_FALSE(r);
      CHECK(r.error().what == "not a number: '12ab'");
    }
    SUBCASE("empty") { CHECK_FALSE(parseCgroupValue("\n")); }
    SUBCASE("negative") { CHECK_FALSE(parseCgroupValue("-1")); }
    SUBCASE("overflow") { CHECK_FALSE(parseCgroupValue("18446744073709551616")); }
  }

  TEST_CASE("reads 'max' and v1's huge value as unlimited") {
    auto max = parseCgroupLimit("max\n");
    REQUIRE(max);
    CHECK_FALSE(max->has_value());
    auto v1 = parseCgroupLimit("9223372036854771712\n");
    REQUIRE(v1);
    CHECK_FALSE(v1->has_value());
    auto at_threshold = parseCgroupLimit("4611686018427387904");  // 2^62
    REQUIRE(at_threshold);
    CHECK_FALSE(at_threshold->has_value());
    auto below = parseCgroupLimit("4611686018427387903");
    REQUIRE(below);
    CHECK(**below == 4611686018427387903ULL);
    auto real = parseCgroupLimit("536870912\n");
    REQUIRE(real);
    CHECK(**real == 536870912);
    CHECK_FALSE(parseCgroupLimit("maximum"));
    CHECK_FALSE(parseCgroupLimit(""));
  }

  TEST_CASE("reads oom_kill from v1 memory.oom_control") {
    CHECK(*parseOomControl("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n") == 3);
    CHECK(*parseOomControl("oom_kill_disable 0\nunder_oom 1\n") == 0);  // before 4.13
    CHECK_FALSE(parseOomControl("hello world\n"));
  }
}
