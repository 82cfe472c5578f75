// SPDX-License-Identifier: Apache-2.0
// Unit tests for the size and limit grammar and for byte formatting.
#include <doctest/doctest.h>

#include "mem_limit.h"

using namespace vigil;

namespace {
constexpr uint64_t kKi = uint64_t{1} << 10;
constexpr uint64_t kMi = uint64_t{1} << 20;
constexpr uint64_t kGi = uint64_t{1} << 30;
}  // namespace

TEST_SUITE("mem_limit") {
  TEST_CASE("parses sizes with 1024-based units in any case") {
    struct Row {
      const char* text;
      uint64_t bytes;
    };
    const Row rows[] = {
        {"512Ki", 512 * kKi},
        {"1500M", 1500 * kMi},
        {"1.5G", 3 * kGi / 2},
        {"2GiB", 2 * kGi},
        {"1024K", kMi},
        {"100B", 100},
        {"100b", 100},
        {"512m", 512 * kMi},
        {"2gib", 2 * kGi},
        {"1KB", kKi},
        {"0.5Mi", 512 * kKi},
        {"1T", kGi * 1024},
        {"1.1K", 1126},
        {"0M", 0},
        {"1.5e", 3 * (uint64_t{1} << 59)},
    };
    for (const Row& row : rows) {
      CAPTURE(row.text);
      auto r = parseSize(row.text);
      REQUIRE(r);
      CHECK(*r == row.bytes);
    }
    CHECK(*parseSize("15E") == 15 * (uint64_t{1} << 60));
    CHECK(*parseSize("18446744073709551615B") == UINT64_MAX);
  }

  TEST_CASE("rejects bare numbers with a hint that a unit is required") {
    auto r = parseSize("512");
    REQUIRE_FALSE(r);
    CHECK(r.error().what ==
          "'512': a unit is required, e.g. 512M (1024-based: K, M, G, T; B for bytes)");
  }

  TEST_CASE("rejects malformed sizes") {
    const char* bad[] = {"",
                         "M",
                         "-1M",
                         "1.5",
                         "1.M",
                         ".5G",
                         "1 M",
                         "1MM",
                         "1Gx",
                         "1iB",
                         "1.5B",
                         "12Q",
                         "1e3M",
                         "+1M",
                         "1,5G",
                         "16E",
                         "1.0000000000000000001G",
                         "18446744073709551616B",
                         "99999999999999999999999G"};
    for (const char* text : bad) {
      CAPTURE(text);
      CHECK_FALSE(parseSize(text));
    }
    CHECK(parseSize("1Gx").error().what.find("unknown unit 'Gx'") != std::string::npos);
    CHECK(parseSize("16E").error().what == "'16E': too large");
  }

  TEST_CASE("parses absolute, percent and headroom limits") {
    auto abs = parseLimit("1.5G");
    REQUIRE(abs);
    CHECK(abs->kind == LimitSpec::Kind::Absolute);
    CHECK(abs->bytes == 3 * kGi / 2);

    auto pct = parseLimit("90%");
    REQUIRE(pct);
    CHECK(pct->kind == LimitSpec::Kind::Percent);
    CHECK(pct->basis_points == 9000);
    CHECK(parseLimit("92.5%")->basis_points == 9250);
    CHECK(parseLimit("0.01%")->basis_points == 1);
    CHECK(parseLimit("100%")->basis_points == 10000);

    auto head = parseLimit("max-256M");
    REQUIRE(head);
    CHECK(head->kind == LimitSpec::Kind::Headroom);
    CHECK(head->bytes == 256 * kMi);
    CHECK(parseLimit("MAX-1G")->bytes == kGi);
  }

  TEST_CASE("rejects out-of-range and malformed limits") {
    const char* bad[] = {"0%", "101%", "100.01%", "90.125%", "%",   "90 %", "x%",
                         "0M", "max-", "max-256", "max256M", "512", "-90%"};
    for (const char* text : bad) {
      CAPTURE(text);
      CHECK_FALSE(parseLimit(text));
    }
    CHECK(parseLimit("0M").error().what == "'0M': a limit must be above zero");
    CHECK(parseLimit("max-256").error().what.find("a unit is required") != std::string::npos);
  }

  TEST_CASE("resolves limits against the cgroup limit") {
    const uint64_t max = 2 * kGi;
    CHECK(*resolveLimit(*parseLimit("1.5G"), std::nullopt) == 3 * kGi / 2);
    CHECK(*resolveLimit(*parseLimit("1.5G"), max) == 3 * kGi / 2);
    CHECK(*resolveLimit(*parseLimit("90%"), max) == max * 9 / 10);
    CHECK(*resolveLimit(*parseLimit("100%"), max) == max);
    CHECK(*resolveLimit(*parseLimit("max-256M"), max) == max - 256 * kMi);
    CHECK(*resolveLimit(*parseLimit("90%"), UINT64_MAX) ==
          16602069666338596453ULL);  // floor, no overflow
  }

  TEST_CASE("refuses percent and headroom without a visible limit") {
    for (const char* text : {"90%", "max-256M"}) {
      CAPTURE(text);
      auto r = resolveLimit(*parseLimit(text), std::nullopt);
      REQUIRE_FALSE(r);
      CHECK(r.error().what.find("needs a visible memory limit") != std::string::npos);
    }
    auto r = resolveLimit(*parseLimit("max-256M"), std::nullopt);
    CHECK(r.error().what.rfind("'max-256MiB' needs", 0) == 0);
  }

  TEST_CASE("refuses headroom that leaves nothing") {
    auto r = resolveLimit(*parseLimit("max-2G"), 2 * kGi);
    REQUIRE_FALSE(r);
    CHECK(r.error().what == "'max-2GiB' leaves nothing of the memory limit 2GiB");
    CHECK_FALSE(resolveLimit(*parseLimit("0.01%"), 100));
  }

  TEST_CASE("formats bytes with binary units and at most one decimal") {
    CHECK(formatBytes(0) == "0B");
    CHECK(formatBytes(1023) == "1023B");
    CHECK(formatBytes(1024) == "1KiB");
    CHECK(formatBytes(1536) == "1.5KiB");
    CHECK(formatBytes(412 * kMi) == "412MiB");
    CHECK(formatBytes(412 * kMi + 400 * kKi) == "412MiB");
    CHECK(formatBytes(3 * kGi / 2) == "1.5GiB");
    CHECK(formatBytes(2 * kGi) == "2GiB");
    CHECK(formatBytes(12 * kMi + 300 * kKi) == "12.3MiB");
    CHECK(formatBytes(kMi - 1) == "1MiB");
    CHECK(formatBytes(99 * kMi + 1000 * kKi) == "100MiB");
    CHECK(formatBytes(UINT64_MAX) == "16EiB");
  }

  TEST_CASE("formats limit specs the way they are parsed") {
    CHECK(formatLimitSpec(*parseLimit("90%")) == "90%");
    CHECK(formatLimitSpec(*parseLimit("92.5%")) == "92.5%");
    CHECK(formatLimitSpec(*parseLimit("0.05%")) == "0.05%");
    CHECK(formatLimitSpec(*parseLimit("max-256M")) == "max-256MiB");
    CHECK(formatLimitSpec(*parseLimit("1536M")) == "1.5GiB");
  }
}
