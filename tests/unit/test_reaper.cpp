// SPDX-License-Identifier: Apache-2.0
// Wait status to exit code mapping, and draining of exited children.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reaper.h"

using namespace vigil;

namespace {
int exitedStatus(int code) { return (code & 0xff) << 8; }
int signaledStatus(int sig) { return sig & 0x7f; }
}  // namespace

TEST_SUITE("reaper") {
  TEST_CASE("an exit status passes through") {
    for (int code : {0, 1, 7, 255}) {
      CAPTURE(code);
      CHECK(exitCodeFromStatus(exitedStatus(code)) == code);
    }
  }

  TEST_CASE("a death by signal N gives 128+N") {
    CHECK(exitCodeFromStatus(signaledStatus(SIGKILL)) == 137);
    CHECK(exitCodeFromStatus(signaledStatus(SIGTERM)) == 143);
    CHECK(exitCodeFromStatus(signaledStatus(SIGINT)) == 130);
  }

  TEST_CASE("describes statuses for events") {
    CHECK(describeStatus(exitedStatus(3)) == "exited 3");
    CHECK(describeStatus(signaledStatus(SIGKILL)) == "killed by SIGKILL");
  }

  TEST_CASE("drains every exited child in one call") {
    std::vector<pid_t> pids;
    for (int i = 0; i < 5; ++i) {
      pid_t p = ::fork();
      REQUIRE(p >= 0);
      if (p == 0) ::_exit(i);
      pids.push_back(p);
    }
    for (pid_t p : pids) {
      siginfo_t si{};
      REQUIRE(::waitid(P_PID, static_cast<id_t>(p), &si, WEXITED | WNOWAIT) == 0);
    }
    ReapResult r = reapAll();
    CHECK(r.reaped.size() == 5);
    CHECK_FALSE(r.children_left);
    int sum = 0;
    for (auto& z : r.reaped) sum += exitCodeFromStatus(z.status);
    CHECK(sum == 0 + 1 + 2 + 3 + 4);
  }

  TEST_CASE("reports children that are still running") {
    pid_t p = ::fork();
    REQUIRE(p >= 0);
    if (p == 0) {
      ::pause();
      ::_exit(0);
    }
    ReapResult r = reapAll();
    CHECK(r.reaped.empty());
    CHECK(r.children_left);
    ::kill(p, SIGKILL);
    ::waitpid(p, nullptr, 0);
  }
}
