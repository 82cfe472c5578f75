// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/stat parsing and descendant discovery, on real text and a fake /proc tree.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <tuple>

#include "process_tree.h"

using namespace vigil;

namespace {

std::string makeFakeProc(const std::vector<std::tuple<int, int, std::string>>& procs) {
  char tmpl[] = "/tmp/vigil-proc-XXXXXX";
  std::string root = ::mkdtemp(tmpl);
  for (auto& [pid, ppid, comm] : procs) {
    std::string dir = root + "/" + std::to_string(pid);
    ::mkdir(dir.c_str(), 0755);
    std::ofstream(dir + "/stat") << pid << " (" << comm << ") S " << ppid
                                 << " 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1 1000 "
                                 << pid * 10 << " 1\n";
  }
  ::mkdir((root + "/self").c_str(), 0755);  // non-numeric entries are skipped
  return root;
}

}  // namespace

TEST_SUITE("process_tree") {
  TEST_CASE("parses pid, ppid, comm and rss, even when comm has spaces and parentheses") {
    auto st = parseProcStat(
        "4242 (my (weird) app) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 555 "
        "12345678 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
    REQUIRE(st);
    CHECK(st->pid == 4242);
    CHECK(st->ppid == 17);
    CHECK(st->comm == "my (weird) app");
    CHECK(st->rss_pages == 321);
  }

  TEST_CASE("rejects malformed stat text") {
    CHECK_FALSE(parseProcStat(""));
    CHECK_FALSE(parseProcStat("12 comm S 1"));
    CHECK_FALSE(parseProcStat("x (a) S 1"));
    CHECK_FALSE(parseProcStat("12 (a)"));
    // No process has pid 0 or below; kill() on one would reach a group or everyone.
    CHECK_FALSE(parseProcStat("0 (a) S 1"));
    CHECK_FALSE(parseProcStat("-1 (a) S 1"));
    CHECK_FALSE(parseProcStat("7 (a) S -3"));
  }

  TEST_CASE("finds every descendant, however deep, and nothing else") {
    auto root = makeFakeProc({{1, 0, "init"},
                              {10, 1, "vigil"},
                              {11, 10, "app"},
                              {12, 11, "worker"},
                              {13, 12, "grandworker"},
                              {14, 10, "daemon"},
                              {20, 1, "other"},
                              {21, 20, "other-child"}});
    auto d = listDescendants(10, root);
    std::vector<pid_t> pids;
    for (auto& p : d) pids.push_back(p.pid);
    std::sort(pids.begin(), pids.end());
    CHECK(pids == std::vector<pid_t>{11, 12, 13, 14});
    CHECK(listDescendants(13, root).empty());
    std::string cmd = "rm -rf " + root;
    CHECK(::system(cmd.c_str()) == 0);
  }

  TEST_CASE("finds this process's real children through /proc") {
    pid_t p = ::fork();
    REQUIRE(p >= 0);
    if (p == 0) {
      ::pause();
      ::_exit(0);
    }
    auto d = listDescendants(::getpid());
    bool found = false;
    for (auto& x : d) found = found || x.pid == p;
    CHECK(found);
    CHECK(signalDescendants(::getpid(), SIGKILL) >= 1);
    ::waitpid(p, nullptr, 0);
  }
}
