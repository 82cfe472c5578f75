// SPDX-License-Identifier: Apache-2.0
// Unit tests for capability-list parsing, privilege planning and, when run as root, applying a
// plan in a forked child.
#include <doctest/doctest.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "privs.h"

using vigil::buildPrivPlan;
using vigil::parseCapList;
using vigil::PrivContext;
using vigil::PrivOptions;

namespace {

constexpr uint64_t bit(int cap) { return uint64_t{1} << cap; }
constexpr unsigned long kAmbientIsSet = PR_CAP_AMBIENT_IS_SET;
constexpr uint64_t kAll41 = bit(41) - 1;  // caps 0..40, as on Linux 5.9+

// A root vigil holding every capability of a 41-capability kernel.
PrivContext rootContext() {
  PrivContext ctx;
  ctx.passwd_text = "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
  ctx.group_text = "web:x:33:app\n";
  ctx.cap_count = 41;
  ctx.cap_permitted = ctx.cap_effective = ctx.cap_bounding = kAll41;
  return ctx;
}

// What a child saw of itself after applyPrivPlan.
struct Observed {
  int err = -1;
  char step[32] = {};
  uid_t uid[3] = {};
  gid_t gid[3] = {};
  int ngroups = 0;
  gid_t groups[8] = {};
  uint64_t permitted = 0, effective = 0, inheritable = 0, bounding = 0, ambient = 0;
  int no_new_privs = -1, keepcaps = -1;
};

void observe(Observed& o) {
  getresuid(&o.uid[0], &o.uid[1], &o.uid[2]);
  getresgid(&o.gid[0], &o.gid[1], &o.gid[2]);
  o.ngroups = getgroups(8, o.groups);
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2] = {};
  syscall(SYS_capget, &h, d);
  for (int i = 0; i < 2; ++i) {
    o.permitted |= uint64_t{d[i].permitted} << (32 * i);
    o.effective |= uint64_t{d[i].effective} << (32 * i);
    o.inheritable |= uint64_t{d[i].inheritable} << (32 * i);
  }
  for (unsigned long c = 0; c < 64; ++c) {
    if (prctl(PR_CAPBSET_READ, c, 0UL, 0UL, 0UL) == 1) o.bounding |= bit(static_cast<int>(c));
    if (prctl(PR_CAP_AMBIENT, kAmbientIsSet, c, 0UL, 0UL) == 1)
      o.ambient |= bit(static_cast<int>(c));
  }
  o.no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0UL, 0UL, 0UL, 0UL);
  o.keepcaps = prctl(PR_GET_KEEPCAPS, 0UL, 0UL, 0UL, 0UL);
}

// Forks, applies `first` (and `second`, when given) in the child and reports what it saw.
Observed runInChild(const vigil::PrivPlan& first, const vigil::PrivPlan* second = nullptr) {
  Observed o;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const char* step = nullptr;
    o.err = vigil::applyPrivPlan(first, &step);
    if (o.err == 0 && second) o.err = vigil::applyPrivPlan(*second, &step);
    if (step) std::strncpy(o.step, step, sizeof o.step - 1);
    observe(o);
    ssize_t n = write(fds[1], &o, sizeof o);
    _exit(n == sizeof o ? 0 : 1);
  }
  close(fds[1]);
  CHECK(read(fds[0], &o, sizeof o) == static_cast<ssize_t>(sizeof o));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(status == 0);
  return o;
}

bool canDropPrivileges() {
  Observed self;
  observe(self);
  uint64_t needed = bit(CAP_SETUID) | bit(CAP_SETGID) | bit(CAP_SETPCAP) |
                    bit(CAP_NET_BIND_SERVICE) | bit(CAP_CHOWN);
  return geteuid() == 0 && (self.effective & needed) == needed &&
         (self.bounding & needed) == needed;
}

}  // namespace

TEST_SUITE("privs") {
  TEST_CASE("parseCapList accepts capabilities(7) names in any case, with or without cap_") {
    struct Row {
      const char* list;
      uint64_t mask;
    } rows[] = {
        {"net_bind_service", bit(CAP_NET_BIND_SERVICE)},
        {"CAP_CHOWN", bit(CAP_CHOWN)},
        {"Cap_Net_Raw", bit(CAP_NET_RAW)},
        {"net_bind_service,CAP_CHOWN", bit(CAP_NET_BIND_SERVICE) | bit(CAP_CHOWN)},
        {" chown , kill ", bit(CAP_CHOWN) | bit(CAP_KILL)},
        {"chown,chown", bit(CAP_CHOWN)},
        {"mac_admin", bit(CAP_MAC_ADMIN)},
        {"checkpoint_restore", bit(CAP_CHECKPOINT_RESTORE)},
        {"", 0},
    };
    for (const auto& row : rows) {
      SUBCASE(row.list) {
        auto mask = parseCapList(row.list);
        REQUIRE(mask);
        CHECK(*mask == row.mask);
      }
    }
  }

  TEST_CASE("parseCapList rejects unknown names, numbers and empty items") {
    const char* bad[] = {"bogus",  "cap_chown2", "chown2",    "5",   "cap_5", "chown,,kill",
                         "chown,", ",chown",     "cap-chown", "all", "cap_",  "net bind"};
    for (const char* list : bad) {
      SUBCASE(list) { CHECK_FALSE(parseCapList(list)); }
    }
  }

  TEST_CASE("capListToString names every set bit") {
    CHECK(vigil::capListToString(bit(CAP_CHOWN) | bit(CAP_NET_BIND_SERVICE)) ==
          "cap_chown,cap_net_bind_service");
    CHECK(vigil::capListToString(0).empty());
  }

  TEST_CASE("shouldSetHome replaces only an unset, empty or inherited HOME") {
    CHECK(vigil::shouldSetHome(std::nullopt, "/root"));
    CHECK(vigil::shouldSetHome(std::string(), "/root"));
    CHECK(vigil::shouldSetHome(std::string("/root"), "/root"));
    CHECK_FALSE(vigil::shouldSetHome(std::string("/data"), "/root"));
  }

  TEST_CASE("an empty option set plans nothing") {
    auto plan = buildPrivPlan(PrivOptions{}, rootContext());
    REQUIRE(plan);
    CHECK_FALSE(plan->set_user);
    CHECK_FALSE(plan->restrict_caps);
    CHECK_FALSE(plan->no_new_privs);
    CHECK(plan->home_env.empty());
  }

  TEST_CASE("--user alone switches ids and groups and leaves capabilities alone") {
    PrivContext ctx = rootContext();
    PrivOptions opts;
    opts.user = "app";
    SUBCASE("HOME unset is set") {
      auto plan = buildPrivPlan(opts, ctx);
      REQUIRE(plan);
      CHECK(plan->set_user);
      CHECK(plan->uid == 1000);
      CHECK(plan->gid == 1000);
      REQUIRE(plan->group_count == 2);
      CHECK(plan->groups[0] == 1000);
      CHECK(plan->groups[1] == 33);
      CHECK_FALSE(plan->restrict_caps);
      CHECK_FALSE(plan->keep_across_setuid);
      CHECK(plan->home_env == "HOME=/home/app");
    }
    SUBCASE("HOME inherited from root is replaced") {
      ctx.home = "/root";
      CHECK(buildPrivPlan(opts, ctx)->home_env == "HOME=/home/app");
    }
    SUBCASE("HOME chosen by the user is kept") {
      ctx.home = "/data";
      CHECK(buildPrivPlan(opts, ctx)->home_env.empty());
    }
    SUBCASE("an unknown numeric uid gets HOME=/") {
      opts.user = "4242";
      CHECK(buildPrivPlan(opts, ctx)->home_env == "HOME=/");
    }
  }

  TEST_CASE("--user with --keep-caps keeps the list through the ambient set") {
    PrivOptions opts;
    opts.user = "app";
    opts.keep_caps = "net_bind_service,mac_admin";
    opts.no_new_privs = true;
    auto plan = buildPrivPlan(opts, rootContext());
    REQUIRE(plan);
    uint64_t keep = bit(CAP_NET_BIND_SERVICE) | bit(CAP_MAC_ADMIN);
    CHECK(plan->restrict_caps);
    CHECK(plan->keep_caps == keep);
    CHECK(plan->drop_bounding == (kAll41 & ~keep));
    CHECK(plan->keep_across_setuid);
    CHECK(plan->raise_ambient);
    CHECK(plan->no_new_privs);
    CHECK(plan->cap_header.version == _LINUX_CAPABILITY_VERSION_3);
    CHECK(plan->cap_data[0].permitted == bit(CAP_NET_BIND_SERVICE));
    CHECK(plan->cap_data[0].inheritable == bit(CAP_NET_BIND_SERVICE));
    CHECK(plan->cap_data[1].effective == bit(CAP_MAC_ADMIN - 32));
  }

  TEST_CASE("--keep-caps for a root child restricts it without the ambient set") {
    PrivOptions opts;
    opts.keep_caps = "chown";
    SUBCASE("no --user") {
      auto plan = buildPrivPlan(opts, rootContext());
      REQUIRE(plan);
      CHECK(plan->restrict_caps);
      CHECK_FALSE(plan->set_user);
      CHECK_FALSE(plan->raise_ambient);
      CHECK_FALSE(plan->keep_across_setuid);
    }
    SUBCASE("--user root:web") {
      opts.user = "root:web";
      auto plan = buildPrivPlan(opts, rootContext());
      REQUIRE(plan);
      CHECK(plan->gid == 33);
      CHECK_FALSE(plan->raise_ambient);
    }
    SUBCASE("a non-root vigil without --user still needs the ambient set") {
      PrivContext ctx = rootContext();
      ctx.euid = 1000;
      auto plan = buildPrivPlan(opts, ctx);
      REQUIRE(plan);
      CHECK(plan->raise_ambient);
    }
  }

  TEST_CASE("planning fails with the option and value in the message") {
    PrivContext ctx = rootContext();
    PrivOptions opts;
    std::string expected;
    SUBCASE("unknown user") {
      opts.user = "bob";
      expected = "--user bob: no user 'bob' in /etc/passwd";
    }
    SUBCASE("unknown capability") {
      opts.keep_caps = "chown,bogus";
      expected = "--keep-caps 'chown,bogus': unknown capability 'bogus' (see capabilities(7))";
    }
    SUBCASE("capability the kernel does not know") {
      ctx.cap_count = 38;
      opts.keep_caps = "checkpoint_restore";
      expected =
          "--keep-caps 'checkpoint_restore': cap_checkpoint_restore not supported by the "
          "running kernel";
    }
    SUBCASE("capability vigil does not hold") {
      ctx.cap_permitted &= ~bit(CAP_NET_ADMIN);
      opts.keep_caps = "net_admin";
      expected = "--keep-caps 'net_admin': vigil itself does not hold cap_net_admin";
    }
    SUBCASE("capability outside the bounding set") {
      ctx.cap_bounding &= ~bit(CAP_SYS_RESOURCE);
      opts.keep_caps = "sys_resource";
      expected = "--keep-caps 'sys_resource': vigil itself does not hold cap_sys_resource";
    }
    SUBCASE("no CAP_SETPCAP to shrink the bounding set") {
      ctx.cap_effective &= ~bit(CAP_SETPCAP);
      opts.keep_caps = "chown";
      expected =
          "--keep-caps 'chown': shrinking the bounding set needs cap_setpcap, which vigil "
          "lacks";
    }
    auto plan = buildPrivPlan(opts, ctx);
    REQUIRE_FALSE(plan);
    CHECK(plan.error().what == expected);
  }

  TEST_CASE("no CAP_SETPCAP is fine when the bounding set is already small enough") {
    PrivContext ctx = rootContext();
    ctx.cap_effective = ctx.cap_permitted = ctx.cap_bounding = bit(CAP_CHOWN);
    PrivOptions opts;
    opts.keep_caps = "chown";
    CHECK(buildPrivPlan(opts, ctx));
  }

  TEST_CASE("applyPrivPlan with an empty plan changes nothing") {
    const char* step = "untouched";
    CHECK(vigil::applyPrivPlan(vigil::PrivPlan{}, &step) == 0);
    CHECK(step == nullptr);
  }

  TEST_CASE("applyPrivPlan drops a forked child to a user with ambient caps and no_new_privs") {
    // Run as root (as the test command and CI do): without the privileges this fails, it is
    // never silently passed.
    REQUIRE_MESSAGE(canDropPrivileges(), "needs root with CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_NET_BIND_SERVICE");
    char dir[] = "/tmp/vigil-privs-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    std::string root = dir;
    REQUIRE(mkdir((root + "/etc").c_str(), 0755) == 0);
    std::ofstream(root + "/etc/passwd") << "svc:x:4321:4321::/srv/svc:/bin/sh\n";
    std::ofstream(root + "/etc/group") << "svc:x:4321:\nextra:x:777:other,svc\n";
    PrivOptions opts;
    opts.user = "svc";
    opts.keep_caps = "NET_BIND_SERVICE";
    opts.no_new_privs = true;
    auto plan = vigil::planPrivileges(opts, root);
    std::remove((root + "/etc/passwd").c_str());
    std::remove((root + "/etc/group").c_str());
    rmdir((root + "/etc").c_str());
    rmdir(dir);
    REQUIRE(plan);

    Observed o = runInChild(*plan);
    CHECK(o.err == 0);
    CHECK(o.uid[0] == 4321);
    CHECK(o.uid[2] == 4321);
    CHECK(o.gid[1] == 4321);
    REQUIRE(o.ngroups == 2);  // the kernel sorts the list
    CHECK(o.groups[0] == 777);
    CHECK(o.groups[1] == 4321);
    uint64_t keep = bit(CAP_NET_BIND_SERVICE);
    CHECK(o.permitted == keep);
    CHECK(o.effective == keep);
    CHECK(o.inheritable == keep);
    CHECK(o.ambient == keep);
    CHECK(o.bounding == keep);
    CHECK(o.no_new_privs == 1);
    CHECK(o.keepcaps == 0);
  }

  TEST_CASE("applyPrivPlan restricts a root child to the kept capabilities") {
    // Run as root (as the test command and CI do): without the privileges this fails, it is
    // never silently passed.
    REQUIRE_MESSAGE(canDropPrivileges(), "needs root with CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_CHOWN");
    PrivOptions opts;
    opts.keep_caps = "chown";
    auto plan = vigil::planPrivileges(opts);
    REQUIRE(plan);
    Observed o = runInChild(*plan);
    CHECK(o.err == 0);
    CHECK(o.uid[0] == 0);
    CHECK(o.permitted == bit(CAP_CHOWN));
    CHECK(o.inheritable == bit(CAP_CHOWN));
    CHECK(o.bounding == bit(CAP_CHOWN));
    CHECK(o.ambient == 0);
    CHECK(o.no_new_privs == 0);
  }

  TEST_CASE("applyPrivPlan reports the errno and the step that failed") {
    // Run as root (as the test command and CI do): without the privileges this fails, it is
    // never silently passed.
    REQUIRE_MESSAGE(canDropPrivileges(), "needs root");
    vigil::PrivPlan drop;
    drop.set_user = true;
    drop.uid = drop.gid = 4321;
    vigil::PrivPlan back_to_root;
    back_to_root.set_user = true;
    Observed o = runInChild(drop, &back_to_root);
    CHECK(o.err == EPERM);
    CHECK(std::string(o.step) == "setgroups");
    CHECK(o.uid[0] == 4321);
    CHECK(o.permitted == 0);
  }
}
