// SPDX-License-Identifier: Apache-2.0
// Event formatting (text and JSON Lines) and verbosity thresholds.
#include <doctest/doctest.h>
#include <unistd.h>

#include "event_log.h"
#include "fd.h"

using namespace vigil;
using json = nlohmann::ordered_json;

TEST_SUITE("event_log") {
  TEST_CASE("formats timestamps as RFC 3339 UTC with milliseconds") {
    std::chrono::system_clock::time_point t{std::chrono::milliseconds(1795896444123LL)};
    CHECK(formatTimestamp(t) == "2026-11-28T20:07:24.123Z");
    CHECK(formatTimestamp(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  }

  TEST_CASE("text events are vigil: lines with key=value pairs") {
    auto line = formatEventText(LogLevel::Info, "start",
                                json{{"program", "sleep"}, {"pid", 12}, {"pid1", true}});
    CHECK(line == "vigil: start program=sleep pid=12 pid1=true\n");
  }

  TEST_CASE("text values with spaces or quotes are quoted") {
    auto line = formatEventText(LogLevel::Warning, "reap", json{{"status", "exited 3"}});
    CHECK(line == "vigil: warning: reap status=\"exited 3\"\n");
  }

  TEST_CASE("JSON events carry ts, level, event and the fields") {
    auto line = formatEventJson("2026-01-01T00:00:00.000Z", LogLevel::Info, "exit",
                                json{{"code", 3}, {"reason", "child exited"}});
    REQUIRE(line.back() == '\n');
    auto j = json::parse(line);
    CHECK(j["ts"] == "2026-01-01T00:00:00.000Z");
    CHECK(j["level"] == "info");
    CHECK(j["event"] == "exit");
    CHECK(j["code"] == 3);
    CHECK(line.rfind("{\"ts\":", 0) == 0);
  }

  TEST_CASE("invalid UTF-8 never breaks a JSON line") {
    auto line = formatEventJson("t", LogLevel::Info, "start", json{{"program", "\xff\xfe"}});
    CHECK(json::parse(line, nullptr, false).is_object());
  }

  TEST_CASE("verbosity moves the threshold one level per flag") {
    CHECK(thresholdFromVerbosity(0, 0) == LogLevel::Warning);
    CHECK(thresholdFromVerbosity(1, 0) == LogLevel::Info);
    CHECK(thresholdFromVerbosity(2, 0) == LogLevel::Debug);
    CHECK(thresholdFromVerbosity(5, 0) == LogLevel::Debug);
    CHECK(thresholdFromVerbosity(0, 1) == LogLevel::Error);
    CHECK(thresholdFromVerbosity(0, 3) == LogLevel::Error);
  }

  TEST_CASE("writes only enabled levels to its descriptor") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    UniqueFd rd(p[0]), wr(p[1]);
    EventLog log(wr.get(), LogFormat::Text, LogLevel::Warning);
    log.event(LogLevel::Info, "start", json{{"pid", 1}});
    log.message(LogLevel::Warning, "careful");
    log.event(LogLevel::Debug, "reap", json{{"pid", 2}});
    wr.reset();
    auto out = readAll(rd.get());
    REQUIRE(out);
    CHECK(*out == "vigil: warning: careful\n");
  }

  TEST_CASE("JSON messages are log events with a msg field") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    UniqueFd rd(p[0]), wr(p[1]);
    EventLog log(wr.get(), LogFormat::Json, LogLevel::Info);
    log.message(LogLevel::Error, "boom");
    wr.reset();
    auto out = readAll(rd.get());
    REQUIRE(out);
    auto j = json::parse(*out);
    CHECK(j["event"] == "log");
    CHECK(j["level"] == "error");
    CHECK(j["msg"] == "boom");
  }
}

TEST_CASE("oneLine keeps a diagnostic on one line") {
  CHECK(vigil::oneLine("plain 'text'") == "plain 'text'");
  CHECK(vigil::oneLine("a\nb") == "a\\nb");
  CHECK(vigil::oneLine("tab\there") == "tab\\there");
  CHECK(vigil::oneLine("\x1b[31mred") == "\\x1b[31mred");
  CHECK(vigil::oneLine("del\x7f") == "del\\x7f");
  CHECK(vigil::oneLine("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 passes through
}
