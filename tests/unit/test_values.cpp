// SPDX-License-Identifier: Apache-2.0
// Option value parsers: durations, signals, exit codes, rewrite and delay rules.
#include <doctest/doctest.h>
#include <signal.h>

#include "values.h"

using namespace vigil;

TEST_SUITE("values") {
  TEST_CASE("parses durations with every unit") {
    struct Row {
      const char* text;
      long long ms;
    };
    for (auto row : {Row{"250ms", 250}, Row{"5s", 5000}, Row{"2m", 120000}, Row{"1h", 3600000},
                     Row{"1.5s", 1500}, Row{"0s", 0}, Row{"10ms", 10}}) {
      SUBCASE(row.text) {
        auto d = parseDuration(row.text);
        REQUIRE(d);
        CHECK(d->count() == row.ms);
      }
    }
  }

  TEST_CASE("rejects durations without a unit, with a bad unit or garbage") {
    for (auto text : {"5", "", "s", "5x", "-1s", "1e9h", "5 s", "abc"}) {
      CAPTURE(text);
      auto d = parseDuration(text);
      CHECK_FALSE(d);
    }
    CHECK(parseDuration("5").error().what.find("no unit") != std::string::npos);
  }

  TEST_CASE("formats durations back to the shortest unit") {
    CHECK(formatDuration(Millis(250)) == "250ms");
    CHECK(formatDuration(Millis(5000)) == "5s");
    CHECK(formatDuration(Millis(120000)) == "2m");
    CHECK(formatDuration(Millis(1500)) == "1500ms");
  }

  TEST_CASE("parses signal names, SIG-prefixed names and numbers") {
    CHECK(*parseSignal("TERM") == SIGTERM);
    CHECK(*parseSignal("SIGTERM") == SIGTERM);
    CHECK(*parseSignal("sigterm") == SIGTERM);
    CHECK(*parseSignal("15") == 15);
    CHECK(*parseSignal("KILL") == SIGKILL);
    CHECK(*parseSignal("RTMIN") == SIGRTMIN);
    CHECK(*parseSignal("RTMIN+3") == SIGRTMIN + 3);
    CHECK(*parseSignal("SIGRTMAX-1") == SIGRTMAX - 1);
    CHECK(*parseSignal("WINCH") == SIGWINCH);
  }

  TEST_CASE("rejects unknown signals, zero and out-of-range numbers") {
    for (auto text : {"", "0", "65", "-1", "FOO", "SIG", "RTMIN+99", "RTMAX+1", "15x",
                      "RTMIN+2147483647", "RTMAX--2147483648", "RTMIN--3"}) {
      CAPTURE(text);
      CHECK_FALSE(parseSignal(text));
    }
    CHECK(*parseSignalOrZero("0") == 0);
  }

  TEST_CASE("names signals conventionally") {
    CHECK(signalName(SIGTERM) == "SIGTERM");
    CHECK(signalName(SIGCHLD) == "SIGCHLD");
    CHECK(signalName(SIGRTMIN + 2) == "SIGRTMIN+2");
    CHECK(signalName(SIGRTMAX) == "SIGRTMAX");
  }

  TEST_CASE("accepts exit codes 0-255 only") {
    CHECK(*parseExitCode("0") == 0);
    CHECK(*parseExitCode("143") == 143);
    CHECK(*parseExitCode("255") == 255);
    CHECK_FALSE(parseExitCode("256"));
    CHECK_FALSE(parseExitCode("-1"));
    CHECK_FALSE(parseExitCode("x"));
  }

  TEST_CASE("parses rewrite rules, where 0 drops the signal") {
    auto r = parseRewrite("15:3");
    REQUIRE(r);
    CHECK(r->from == 15);
    CHECK(r->to == 3);
    auto drop = parseRewrite("TERM:0");
    REQUIRE(drop);
    CHECK(drop->to == 0);
    CHECK_FALSE(parseRewrite("15"));
    CHECK_FALSE(parseRewrite("0:15"));
    CHECK_FALSE(parseRewrite("15:FOO"));
  }

  TEST_CASE("parses delay rules") {
    auto d = parseDelay("TERM:10s");
    REQUIRE(d);
    CHECK(d->signo == SIGTERM);
    CHECK(d->delay.count() == 10000);
    CHECK_FALSE(parseDelay("TERM"));
    CHECK_FALSE(parseDelay("TERM:10"));
  }

  TEST_CASE("parses booleans in the usual spellings") {
    CHECK(*parseBool("1"));
    CHECK(*parseBool("TRUE"));
    CHECK(*parseBool("yes"));
    CHECK_FALSE(*parseBool("0"));
    CHECK_FALSE(*parseBool("off"));
    CHECK_FALSE(parseBool("maybe"));
  }
}
