// SPDX-License-Identifier: Apache-2.0
// Program resolution, exec-failure codes, and the spawn path's exec-error pipe.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "spawn.h"

using namespace vigil;

TEST_SUITE("spawn") {
  TEST_CASE("names with a slash are used as they are") {
    auto r = resolveProgram("./x/y", "/usr/bin");
    REQUIRE(r);
    CHECK(*r == "./x/y");
  }

  TEST_CASE("bare names are searched in PATH") {
    auto r = resolveProgram("sh", "/nonexistent:/bin:/usr/bin");
    REQUIRE(r);
    CHECK(*r == "/bin/sh");
  }

  TEST_CASE("a missing program is ENOENT, a non-executable one EACCES") {
    auto missing = resolveProgram("vigil-no-such-program", "/bin:/usr/bin");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().err == ENOENT);
    auto noexec = resolveProgram("passwd", "/etc");
    REQUIRE_FALSE(noexec);
    CHECK(noexec.error().err == EACCES);
  }

  TEST_CASE("exec failures map to 127 and 126 as shells do") {
    CHECK(execFailureExitCode(ENOENT) == 127);
    CHECK(execFailureExitCode(EACCES) == 126);
    CHECK(execFailureExitCode(ENOEXEC) == 126);
  }

  TEST_CASE("spawns a child in its own process group with the requested mask") {
    SpawnRequest req;
    req.argv = {"/bin/sh", "-c", "exit 7"};
    req.env = {"PATH=/bin:/usr/bin"};
    sigemptyset(&req.mask);
    auto pid = spawnChild(req);
    REQUIRE(pid);
    int status = 0;
    REQUIRE(::waitpid(*pid, &status, 0) == *pid);
    CHECK(WEXITSTATUS(status) == 7);
  }

  TEST_CASE("reports an exec failure through the pipe and reaps the child") {
    SpawnRequest req;
    req.argv = {"/etc/passwd"};
    sigemptyset(&req.mask);
    auto pid = spawnChild(req);
    REQUIRE_FALSE(pid);
    CHECK(pid.error().err == EACCES);
    CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);  // nothing left to reap
  }
}
