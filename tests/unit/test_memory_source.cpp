// SPDX-License-Identifier: Apache-2.0
// Unit tests for the memory sources against fake cgroup v2/v1 and procfs trees in a temporary
// directory: metrics, limits, OOM counters, vanishing files and garbage.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "memory_source.h"
#include "temp_dir.h"

using namespace vigil;
using vigil::testing::TempDir;

namespace {

constexpr uint64_t kMiB = 1 << 20;


void writeV2(const TempDir& d, const std::string& sub = ".") {
  d.write(sub + "/memory.current", std::to_string(256 * kMiB) + "\n");
  d.write(sub + "/memory.stat", "anon " + std::to_string(144 * kMiB) + "\nfile 1\ninactive_file " +
                                    std::to_string(64 * kMiB) + "\nfile_mapped " +
                                    std::to_string(32 * kMiB) + "\n");
  d.write(sub + "/memory.max", std::to_string(512 * kMiB) + "\n");
  d.write(sub + "/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n");
}

void writeV1(const TempDir& d) {
  d.write("memory.usage_in_bytes", std::to_string(256 * kMiB) + "\n");
  d.write("memory.stat", "cache 5\nrss 3\ntotal_cache 1\ntotal_rss " + std::to_string(144 * kMiB) +
                             "\ntotal_rss_huge " + std::to_string(2 * kMiB) +
                             "\ntotal_mapped_file " + std::to_string(32 * kMiB) +
                             "\ntotal_inactive_file " + std::to_string(64 * kMiB) +
                             "\nhierarchical_memory_limit 9223372036854771712\n");
  d.write("memory.limit_in_bytes", std::to_string(512 * kMiB) + "\n");
  d.write("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
}

std::string procStat(int pid, const std::string& comm, int ppid, uint64_t rss_pages) {
  return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) +
         " 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 1000 " + std::to_string(rss_pages) +
         " 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
}

}  // namespace

TEST_SUITE("memory_source") {
  TEST_CASE("computes every metric from cgroup v2 files") {
    TempDir d;
    writeV2(d);
    Cgroup2Source src(d.open(), d.path());
    auto s = src.sample(MemMetric::WorkingSet);
    REQUIRE(s);
    CHECK(s->current == 256 * kMiB);
    CHECK(s->anon == 144 * kMiB);
    CHECK(s->inactive_file == 64 * kMiB);
    CHECK(s->file_mapped == 32 * kMiB);
    CHECK(s->limit == 512 * kMiB);
    CHECK(s->oom_kill == 2);
    CHECK(s->usage == 192 * kMiB);
    CHECK(src.sample(MemMetric::Current)->usage == 256 * kMiB);
    CHECK(src.sample(MemMetric::Anon)->usage == 144 * kMiB);
    CHECK(src.sample(MemMetric::Rss)->usage == 176 * kMiB);
    CHECK(src.eventsPath() == d.path() + "/memory.events");
  }

  TEST_CASE("clamps the working set at zero") {
    MemorySample s;
    s.current = 10;
    s.inactive_file = 20;
    CHECK(metricValue(s, MemMetric::WorkingSet) == 0);
  }

  TEST_CASE("takes the smallest memory.max of the cgroup and its ancestors") {
    TempDir d;
    d.write("memory.max", std::to_string(300 * kMiB) + "\n");
    d.write("mid/memory.max", "max\n");
    writeV2(d, "mid/leaf");
    Cgroup2Source src(d.open("mid/leaf"));
    auto lim = src.limit();
    REQUIRE(lim);
    CHECK(*lim == 300 * kMiB);
    d.write("memory.max", "max\n");
    d.write("mid/leaf/memory.max", "max\n");
    lim = src.limit();
    REQUIRE(lim);
    CHECK(*lim == std::nullopt);
    CHECK(src.location().rfind("/proc/self/fd/", 0) == 0);
  }

  TEST_CASE("reports a vanished cgroup v2 file by name") {
    TempDir d;
    writeV2(d);
    Cgroup2Source src(d.open(), d.path());
    const char* file = nullptr;
    SUBCASE("memory.current") { file = "memory.current"; }
    SUBCASE("memory.stat") { file = "memory.stat"; }
    SUBCASE("memory.events") { file = "memory.events"; }
    SUBCASE("memory.max") { file = "memory.max"; }
    d.remove(file);
    auto s = src.sample(MemMetric::WorkingSet);
    REQUIRE_FALSE(s);
    CHECK(s.error().err == ENOENT);
    CHECK(s.error().what.find(std::string("cgroup2 ") + d.path()) == 0);
    CHECK(s.error().what.find(std::string("open ") + file) != std::string::npos);
  }

  TEST_CASE("reports garbage in cgroup v2 files") {
    TempDir d;
    writeV2(d);
    Cgroup2Source src(d.open(), d.path());
    SUBCASE("memory.current") {
      d.write("memory.current", "lots\n");
      auto s = src.sample(MemMetric::Current);
      REQUIRE_FALSE(s);
      CHECK(s.error().what == "cgroup2 " + d.path() + ": memory.current: not a number: 'lots'");
    }
    SUBCASE("memory.stat without inactive_file") {
      d.write("memory.stat", "anon 5\nfile_mapped 1\n");
      auto s = src.sample(MemMetric::WorkingSet);
      REQUIRE_FALSE(s);
      CHECK(s.error().what == "cgroup2 " + d.path() + ": memory.stat: missing key 'inactive_file'");
    }
    SUBCASE("file_mapped is only needed for rss") {
      d.write("memory.stat", "anon 5\ninactive_file 1\n");
      CHECK(src.sample(MemMetric::WorkingSet));
      CHECK_FALSE(src.sample(MemMetric::Rss));
    }
    SUBCASE("an empty memory.events is a fault, not zero kills") {
      d.write("memory.events", "");
      auto s = src.sample(MemMetric::Current);
      REQUIRE_FALSE(s);
      CHECK(s.error().what.find("memory.events") != std::string::npos);
    }
    SUBCASE("memory.events without oom_kill counts zero") {
      d.write("memory.events", "low 0\nhigh 0\n");
      auto s = src.sample(MemMetric::Current);
      REQUIRE(s);
      CHECK(s->oom_kill == 0);
    }
  }

  TEST_CASE("computes every metric from cgroup v1 files") {
    TempDir d;
    writeV1(d);
    Cgroup1Source src(d.open(), d.path());
    auto s = src.sample(MemMetric::WorkingSet);
    REQUIRE(s);
    CHECK(s->current == 256 * kMiB);
    CHECK(s->anon == 144 * kMiB);  // total_rss already includes total_rss_huge
    CHECK(s->inactive_file == 64 * kMiB);
    CHECK(s->usage == 192 * kMiB);
    CHECK(s->limit == 512 * kMiB);
    CHECK(s->oom_kill == 3);
    CHECK(src.sample(MemMetric::Rss)->usage == 176 * kMiB);
    CHECK(src.eventsPath() == std::nullopt);
    CHECK(src.name() == "cgroup1");
  }

  TEST_CASE("reads v1 limits: unlimited, hierarchical and own") {
    TempDir d;
    writeV1(d);
    Cgroup1Source src(d.open());
    d.write("memory.limit_in_bytes", "9223372036854771712\n");
    CHECK(*src.limit() == std::nullopt);
    d.write("memory.stat", "total_rss 1\ntotal_inactive_file 0\nhierarchical_memory_limit " +
                               std::to_string(100 * kMiB) + "\n");
    CHECK(*src.limit() == 100 * kMiB);
    CHECK(src.sample(MemMetric::Current)->limit == 100 * kMiB);
  }

  TEST_CASE("reports vanished and garbled v1 files") {
    TempDir d;
    writeV1(d);
    Cgroup1Source src(d.open(), d.path());
    SUBCASE("usage_in_bytes vanished") {
      d.remove("memory.usage_in_bytes");
      auto s = src.sample(MemMetric::Current);
      REQUIRE_FALSE(s);
      CHECK(s.error().what.find("open memory.usage_in_bytes") != std::string::npos);
    }
    SUBCASE("oom_control garbled") {
      d.write("memory.oom_control", "???\n");
      auto s = src.sample(MemMetric::Current);
      REQUIRE_FALSE(s);
      CHECK(s.error().what.find("memory.oom_control: not a memory.oom_control file") !=
            std::string::npos);
    }
    SUBCASE("stat without total_rss") {
      d.write("memory.stat", "rss 5\ntotal_inactive_file 1\n");
      auto s = src.sample(MemMetric::Current);
      REQUIRE_FALSE(s);
      CHECK(s.error().what.find("missing key 'total_rss'") != std::string::npos);
    }
  }

  TEST_CASE("sums the RSS of descendants in a fake procfs") {
    TempDir d;
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    d.write("1/stat", procStat(1, "vigil", 0, 1000));        // the root: not counted
    d.write("10/stat", procStat(10, "app server", 1, 100));  // child
    d.write("11/stat", procStat(11, "worker", 10, 50));      // grandchild
    d.write("12/stat", procStat(12, "zombie", 11, 0));
    d.write("20/stat", procStat(20, "other", 2, 7000));  // not a descendant
    d.write("30/stat", "garbage");
    d.write("self/stat", procStat(10, "dup", 1, 5000));  // not a pid directory
    d.write("40/nostat", "");                            // exited between readdir and open
    ProcfsSource src(1, d.path());
    auto s = src.sample(MemMetric::WorkingSet);
    REQUIRE(s);
    CHECK(s->usage == 150 * page);
    CHECK(s->current == 150 * page);
    CHECK(s->limit == std::nullopt);
    CHECK(src.sample(MemMetric::Rss)->usage == 150 * page);

    auto top = topProcessesByRss(1, 2, d.path());
    REQUIRE(top);
    REQUIRE(top->size() == 2);
    CHECK((*top)[0].pid == 10);
    CHECK((*top)[0].comm == "app server");
    CHECK((*top)[0].rss_bytes == 100 * page);
    CHECK((*top)[1].pid == 11);

    CHECK(topProcessesByRss(10, 5, d.path())->size() == 2);
  }

  TEST_CASE("fails clearly when the proc root is missing") {
    ProcfsSource src(1, "/nonexistent-vigil-proc");
    auto s = src.sample(MemMetric::Current);
    REQUIRE_FALSE(s);
    CHECK(s.error().what == "procfs: open /nonexistent-vigil-proc: No such file or directory");
  }

  TEST_CASE("sees a real child's RSS in /proc") {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::pause();
      ::_exit(0);
    }
    ProcfsSource src(::getpid());
    auto s = src.sample(MemMetric::Rss);
    auto top = topProcessesByRss(::getpid(), 10);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    REQUIRE(s);
    CHECK(s->usage > 0);
    REQUIRE(top);
    REQUIRE(top->size() == 1);
    CHECK((*top)[0].pid == child);
  }

  TEST_CASE("parses metric and source names") {
    CHECK(*parseMemMetric("workingset") == MemMetric::WorkingSet);
    CHECK(*parseMemMetric("rss") == MemMetric::Rss);
    CHECK_FALSE(parseMemMetric("RSS"));
    CHECK(*parseMemSourceKind("cgroup1") == MemSourceKind::Cgroup1);
    auto bad = parseMemSourceKind("cgroup3");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().what ==
          "unknown memory source 'cgroup3' (valid: auto, cgroup2, cgroup1, procfs)");
    CHECK(metricName(MemMetric::WorkingSet) == "workingset");
  }
}
