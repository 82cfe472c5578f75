// SPDX-License-Identifier: Apache-2.0
// The termination message: its content, its 4 KiB bound, and writing it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "fd.h"
#include "termination_log.h"

using namespace vigil;

namespace {
TerminationReport sampleReport() {
  TerminationReport r;
  r.metric = "workingset";
  r.source = "cgroup2";
  r.usage = 900ull << 20;
  r.limit = 800ull << 20;
  r.trigger = "stayed at or over the soft limit for 5s:";
  r.cgroup_max = 1ull << 30;
  r.action = "sent SIGTERM to child (pid 7), SIGKILL after 30s";
  r.top = {{7, "ruby", 850ull << 20}, {12, "sh", 2ull << 20}};
  return r;
}
}  // namespace

TEST_SUITE("termination_log") {
  TEST_CASE("names the metric, usage, limit, action and biggest processes") {
    auto text = formatTerminationLog(sampleReport());
    CHECK(text.find("workingset 900MiB") != std::string::npos);
    CHECK(text.find("800MiB") != std::string::npos);
    CHECK(text.find("cgroup limit 1GiB") != std::string::npos);
    CHECK(text.find("sent SIGTERM to child (pid 7)") != std::string::npos);
    CHECK(text.find("Largest processes by RSS: 7 ruby 850MiB, 12 sh 2MiB") != std::string::npos);
    CHECK(text.find("Outcome") == std::string::npos);
    CHECK(text.back() == '\n');
  }

  TEST_CASE("adds the outcome once known") {
    auto r = sampleReport();
    r.outcome = "the program stopped 1.2s after SIGTERM; vigil exited with code 137";
    CHECK(formatTerminationLog(r).find("Outcome: the program stopped 1.2s") != std::string::npos);
  }

  TEST_CASE("never exceeds 4 KiB, however many processes there are") {
    auto r = sampleReport();
    for (int i = 0; i < 500; ++i) r.top.push_back({i, std::string(15, 'x'), 1ull << 20});
    auto text = formatTerminationLog(r);
    CHECK(text.size() <= kTerminationLogMax);
    CHECK(text.back() == '\n');
  }

  TEST_CASE("writing replaces the file's content") {
    char tmpl[] = "/tmp/vigil-tlog-XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    REQUIRE(writeTerminationLog(tmpl, "a much longer first text\n"));
    REQUIRE(writeTerminationLog(tmpl, "second\n"));
    auto back = readFileAt(AT_FDCWD, tmpl);
    REQUIRE(back);
    CHECK(*back == "second\n");
    ::unlink(tmpl);
  }

  TEST_CASE("an unwritable path is an error, not a crash") {
    auto w = writeTerminationLog("/nonexistent-dir/termination-log", "x\n");
    CHECK_FALSE(w);
    CHECK(w.error().what.find("/nonexistent-dir/termination-log") != std::string::npos);
  }
}
