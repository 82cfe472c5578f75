// SPDX-License-Identifier: Apache-2.0
// Unit tests for cgroup discovery: /proc/self/cgroup and mountinfo parsing, directory
// resolution on v2, v1, hybrid and namespaced hosts, and source selection on fake trees.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "cgroup.h"
#include "temp_dir.h"

using namespace vigil;
using vigil::testing::TempDir;

namespace {

// A CI host with a hybrid hierarchy: cgroup2 at /sys/fs/cgroup/unified without controllers,
// memory on v1 (captured from this project's build machine).
constexpr std::string_view kHybridCgroup =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/cc9fc9c487938ea9526f22401b70e0ea\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n"
    "0::/\n";
constexpr std::string_view kHybridMountinfo =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// Docker / Kubernetes on a v2 host with a private cgroup namespace.
constexpr std::string_view kNamespacedCgroup = "0::/\n";
constexpr std::string_view kNamespacedMountinfo =
    "574 492 0:52 / / rw,relatime master:244 - overlay overlay rw,lowerdir=/l,upperdir=/u\n"
    "575 574 0:55 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "579 574 0:57 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro\n"
    "580 579 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup "
    "rw,nsdelegate,memory_recursiveprot\n";

// Docker on a v1 host without a cgroup namespace: the mounts' roots are the container's cgroup.
constexpr std::string_view kDockerV1Cgroup =
    "12:memory:/docker/0123abcd\n4:cpu,cpuacct:/docker/0123abcd\n1:name=systemd:/docker/0123abcd\n";
constexpr std::string_view kDockerV1Mountinfo =
    "1036 1035 0:60 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755\n"
    "1040 1036 0:33 /docker/0123abcd /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime "
    "master:11 - cgroup cgroup rw,cpu,cpuacct\n"
    "1041 1036 0:34 /docker/0123abcd /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime "
    "master:15 - cgroup cgroup rw,memory\n";


}  // namespace

TEST_SUITE("cgroup") {
  TEST_CASE("parses /proc/self/cgroup lines with controller lists") {
    auto entries = parseProcSelfCgroup(
        "4:cpu,cpuacct:/docker/abc\n1:name=systemd:/init.scope\n0::/a:b/c\n"
        "junk\nx:memory:/y\n");
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].hierarchy_id == 4);
    CHECK(entries[0].controllers == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK(entries[0].path == "/docker/abc");
    CHECK(entries[1].controllers == std::vector<std::string>{"name=systemd"});
    CHECK(entries[2].hierarchy_id == 0);
    CHECK(entries[2].controllers.empty());
    CHECK(entries[2].path == "/a:b/c");
  }

  TEST_CASE("parses mountinfo with optional fields and octal escapes") {
    auto mounts = parseMountinfo(
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "90 31 0:40 /my\\040root /mnt/cg\\040roup\\134x rw shared:5 master:3 - cgroup "
        "none rw,memory,cpu\n"
        "garbage line\n"
        "91 31 0:41 / /no-separator rw cgroup2 cgroup2 rw\n");
    REQUIRE(mounts.size() == 2);
    CHECK(mounts[0].mount_id == 41);
    CHECK(mounts[0].mount_point == "/sys/fs/cgroup/unified");
    CHECK(mounts[0].fstype == "cgroup2");
    CHECK(mounts[0].super_options == std::vector<std::string>{"rw"});
    CHECK(mounts[1].root == "/my root");
    CHECK(mounts[1].mount_point == "/mnt/cg roup\\x");
    CHECK(mounts[1].fstype == "cgroup");
    CHECK(mounts[1].super_options == std::vector<std::string>{"rw", "memory", "cpu"});
  }

  TEST_CASE("leaves backslashes that are not octal escapes alone") {
    CHECK(unescapeMountPath("a\\040b") == "a b");
    CHECK(unescapeMountPath("a\\011b\\012") == "a\tb\n");
    CHECK(unescapeMountPath("a\\9bc\\04") == "a\\9bc\\04");
  }

  TEST_CASE("joins the cgroup path under the mount, correcting for the mount root") {
    MountEntry m;
    m.mount_point = "/sys/fs/cgroup";
    m.root = "/";
    CHECK(cgroupDirUnder(m, "/") == "/sys/fs/cgroup");
    CHECK(cgroupDirUnder(m, "/a/b") == "/sys/fs/cgroup/a/b");
    CHECK(cgroupDirUnder(m, "/../sibling") == std::nullopt);
    m.root = "/kubepods/pod1";
    CHECK(cgroupDirUnder(m, "/kubepods/pod1") == "/sys/fs/cgroup");
    CHECK(cgroupDirUnder(m, "/kubepods/pod1/c1") == "/sys/fs/cgroup/c1");
    CHECK(cgroupDirUnder(m, "/kubepods/pod12") == std::nullopt);
    CHECK(cgroupDirUnder(m, "/other") == std::nullopt);
    m.root = "/..";
    CHECK(cgroupDirUnder(m, "/") == std::nullopt);
  }

  TEST_CASE("finds v1 memory and a controller-less v2 dir on a hybrid host") {
    CgroupDirs dirs = resolveCgroupDirs(kHybridCgroup, kHybridMountinfo);
    CHECK(dirs.v2 == "/sys/fs/cgroup/unified");
    CHECK(dirs.v1_memory == "/sys/fs/cgroup/memory/process_api/cc9fc9c487938ea9526f22401b70e0ea");
  }

  TEST_CASE("finds the namespace root on a cgroup-namespaced v2 container") {
    CgroupDirs dirs = resolveCgroupDirs(kNamespacedCgroup, kNamespacedMountinfo);
    CHECK(dirs.v2 == "/sys/fs/cgroup");
    CHECK(dirs.v1_memory == std::nullopt);
  }

  TEST_CASE("strips the mount root of a v1 Docker container") {
    CgroupDirs dirs = resolveCgroupDirs(kDockerV1Cgroup, kDockerV1Mountinfo);
    CHECK(dirs.v2 == std::nullopt);
    CHECK(dirs.v1_memory == "/sys/fs/cgroup/memory");
  }

  TEST_CASE("finds the full path on a v2 host without a namespace") {
    CgroupDirs dirs = resolveCgroupDirs(
        "0::/system.slice/app.service\n",
        "30 23 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
    CHECK(dirs.v2 == "/sys/fs/cgroup/system.slice/app.service");
  }

  TEST_CASE("finds nothing without matching mounts") {
    CgroupDirs dirs = resolveCgroupDirs(kHybridCgroup, "22 27 0:21 / /proc rw - proc proc rw\n");
    CHECK(dirs.v2 == std::nullopt);
    CHECK(dirs.v1_memory == std::nullopt);
    CHECK(resolveCgroupDirs("", "").v2 == std::nullopt);
  }

  TEST_CASE("checks cgroup.controllers for the memory controller") {
    CHECK(controllersInclude("cpuset cpu io memory hugetlb pids\n", "memory"));
    CHECK(controllersInclude("memory\n", "memory"));
    CHECK_FALSE(controllersInclude("\n", "memory"));
    CHECK_FALSE(controllersInclude("cpu io memoryx\n", "memory"));
  }

  TEST_CASE("selects the source of a fake --cgroup-root tree") {
    TempDir dir;
    SUBCASE("cgroup2 when memory.current exists") {
      dir.write("memory.current", "1000\n");
      dir.write("memory.stat", "anon 400\ninactive_file 100\nfile_mapped 50\n");
      dir.write("memory.max", "max\n");
      dir.write("memory.events", "oom_kill 0\n");
      auto s = selectSource(MemSourceKind::Auto, dir.path());
      REQUIRE(s);
      CHECK((*s)->name() == "cgroup2");
      CHECK((*s)->location() == dir.path());
      CHECK((*s)->eventsPath() == dir.path() + "/memory.events");
      CHECK_FALSE(selectSource(MemSourceKind::Cgroup1, dir.path()));
    }
    SUBCASE("cgroup1 when memory.usage_in_bytes exists") {
      dir.write("memory.usage_in_bytes", "1000\n");
      dir.write("memory.stat", "total_rss 400\ntotal_inactive_file 100\ntotal_mapped_file 5\n");
      dir.write("memory.limit_in_bytes", "9223372036854771712\n");
      dir.write("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
      auto s = selectSource(MemSourceKind::Auto, dir.path());
      REQUIRE(s);
      CHECK((*s)->name() == "cgroup1");
      CHECK((*s)->eventsPath() == std::nullopt);
      auto explicit_v2 = selectSource(MemSourceKind::Cgroup2, dir.path());
      REQUIRE_FALSE(explicit_v2);
      CHECK(explicit_v2.error().what.find("memory.current") != std::string::npos);
    }
    SUBCASE("an error when neither exists") {
      auto s = selectSource(MemSourceKind::Auto, dir.path());
      REQUIRE_FALSE(s);
      CHECK(s.error().what.find("neither memory.current nor memory.usage_in_bytes") !=
            std::string::npos);
    }
    SUBCASE("an error when the probe sample fails") {
      dir.write("memory.current", "garbage\n");
      auto s = selectSource(MemSourceKind::Cgroup2, dir.path());
      REQUIRE_FALSE(s);
      CHECK(s.error().what.find("memory.current: not a number") != std::string::npos);
    }
    SUBCASE("procfs when asked, whatever the root") {
      auto s = selectSource(MemSourceKind::Procfs, dir.path());
      REQUIRE(s);
      CHECK((*s)->name() == "procfs");
    }
  }

  TEST_CASE("auto always finds a source on a real host") {
    auto choice = chooseSource(MemSourceKind::Auto, std::nullopt);
    REQUIRE(choice);
    REQUIRE(choice->source);
    CHECK((*choice->source).sample(MemMetric::Current));
    MESSAGE("auto picked " << choice->source->name() << " at " << choice->source->location());
  }
}
