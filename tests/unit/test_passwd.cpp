// SPDX-License-Identifier: Apache-2.0
// Unit tests for the /etc/passwd and /etc/group parsers and USER[:GROUP] resolution.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "passwd.h"

using vigil::parseGroup;
using vigil::parseId;
using vigil::parsePasswd;
using vigil::resolveUser;

namespace {

constexpr std::string_view kPasswd =
    "# comment line\n"
    "root:x:0:0:root:/root:/bin/bash\n"
    "\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "app:x:1000:1000:App,,,:/home/app:/bin/sh\r\n"
    "nohome:x:1001:1001\n"
    "app:x:2000:2000::/dup:/bin/sh\n"
    "last:x:1002:100:::";  // no trailing newline

constexpr std::string_view kGroup =
    "root:x:0:\n"
    "users:x:100:app,last\n"
    "#wheel:x:10:app\n"
    "docker:x:999:other,app\r\n"
    "app:x:1000:\n"
    "again:x:1000:app\n"  // same gid as the primary: listed once
    "nogroup:x:65534:";

}  // namespace

TEST_SUITE("passwd") {
  TEST_CASE("parsePasswd reads name, ids and home and skips comments and blank lines") {
    auto e = parsePasswd(kPasswd);
    REQUIRE(e.size() == 6);
    CHECK(e[0].name == "root");
    CHECK(e[1].uid == 65534);
    CHECK(e[2].name == "app");
    CHECK(e[2].uid == 1000);
    CHECK(e[2].gid == 1000);
    CHECK(e[2].home == "/home/app");  // CRLF line: no '\r' left in the last fields either
    CHECK(e[3].home.empty());         // missing optional fields
    CHECK(e[5].name == "last");       // last line without a newline
    CHECK(e[5].gid == 100);
  }

  TEST_CASE("parsePasswd skips lines without a valid name, uid and gid") {
    const char* bad[] = {"a",
                         "a:x",
                         "a:x:1",
                         ":x:1:1",
                         "a:x::1",
                         "a:x:1:",
                         "a:x:abc:1",
                         "a:x:-1:1",
                         "a:x:+1:1",
                         "a:x: 1:1",
                         "a:x:1x:1",
                         "a:x:4294967295:1",
                         "a:x:1:99999999999",
                         "+::::::",
                         "   ",
                         "  # indented comment"};
    for (const char* line : bad) {
      SUBCASE(line) { CHECK(parsePasswd(line).empty()); }
    }
  }

  TEST_CASE("parsePasswd keeps very long lines intact") {
    std::string gecos(1 << 20, 'g');
    auto e = parsePasswd("big:x:7:8:" + gecos + ":/home/big:/bin/sh\nsmall:x:9:9::/s:\n");
    REQUIRE(e.size() == 2);
    CHECK(e[0].home == "/home/big");
    CHECK(e[1].uid == 9);
  }

  TEST_CASE("parseGroup reads members and tolerates empty lists and stray commas") {
    auto g = parseGroup("a:x:1:\nb:x:2\nc:x:3:u1,,u2,\n#d:x:4:u\r\ne:x:5:u3\r\n");
    REQUIRE(g.size() == 4);
    CHECK(g[0].members.empty());
    CHECK(g[1].members.empty());
    CHECK(g[2].members == std::vector<std::string>{"u1", "u2"});
    CHECK(g[3].name == "e");
    CHECK(g[3].members == std::vector<std::string>{"u3"});
  }

  TEST_CASE("parseGroup handles a member list with 100000 names") {
    std::string line = "huge:x:42:";
    for (int i = 0; i < 100000; ++i) line += "user" + std::to_string(i) + ",";
    line += "target";
    auto g = parseGroup(line);
    REQUIRE(g.size() == 1);
    CHECK(g[0].members.size() == 100001);
    CHECK(g[0].members.back() == "target");
  }

  TEST_CASE("parseId accepts 0..4294967294 and nothing else") {
    CHECK(parseId("0") == 0u);
    CHECK(parseId("4294967294") == 4294967294u);
    for (const char* bad :
         {"", "-1", "+1", " 1", "1 ", "4294967295", "4294967296", "0x10", "1e3"}) {
      SUBCASE(bad) { CHECK_FALSE(parseId(bad)); }
    }
  }

  TEST_CASE("resolveUser gives a named user its passwd ids, home and member groups") {
    auto r = resolveUser("app", kPasswd, kGroup, 0);
    REQUIRE(r);
    CHECK(r->uid == 1000);
    CHECK(r->gid == 1000);
    CHECK(r->home == "/home/app");
    CHECK(r->groups == std::vector<gid_t>{1000, 100, 999});  // primary first, commented wheel out
  }

  TEST_CASE("resolveUser resolves a numeric uid through its passwd entry") {
    auto r = resolveUser("1002", kPasswd, kGroup, 0);
    REQUIRE(r);
    CHECK(r->name == "last");
    CHECK(r->gid == 100);
    CHECK(r->groups == std::vector<gid_t>{100});  // member of users, which is the primary
    CHECK(r->home == "/");                        // empty home field
  }

  TEST_CASE("resolveUser allows a numeric uid without an entry, with the caller's gid") {
    auto r = resolveUser("4242", kPasswd, kGroup, 7);
    REQUIRE(r);
    CHECK(r->name.empty());
    CHECK(r->uid == 4242);
    CHECK(r->gid == 7);
    CHECK(r->groups == std::vector<gid_t>{7});
    CHECK(r->home == "/");
    auto empty_db = resolveUser("4242:4243", "", "", 0);
    REQUIRE(empty_db);
    CHECK(empty_db->gid == 4243);
  }

  TEST_CASE("resolveUser with an explicit group uses that group alone") {
    SUBCASE("by name") {
      auto r = resolveUser("app:docker", kPasswd, kGroup, 0);
      REQUIRE(r);
      CHECK(r->uid == 1000);
      CHECK(r->gid == 999);
      CHECK(r->groups == std::vector<gid_t>{999});
    }
    SUBCASE("by number, even without a group entry") {
      auto r = resolveUser("nobody:5555", kPasswd, kGroup, 0);
      REQUIRE(r);
      CHECK(r->uid == 65534);
      CHECK(r->gid == 5555);
      CHECK(r->groups == std::vector<gid_t>{5555});
      CHECK(r->home == "/nonexistent");
    }
  }

  TEST_CASE("resolveUser takes the first of duplicate names") {
    auto r = resolveUser("app", kPasswd, kGroup, 0);
    REQUIRE(r);
    CHECK(r->uid == 1000);
  }

  TEST_CASE("resolveUser rejects unknown names and malformed specs") {
    struct Row {
      const char* spec;
      const char* message;
    } rows[] = {
        {"bob", "no user 'bob' in /etc/passwd"},
        {"app:wheel", "no group 'wheel' in /etc/group"},  // only in a comment
        {"", "empty user name"},
        {":app", "empty user name"},
        {"app:", "empty group name after ':'"},
        {"4294967295", "uid 4294967295 is out of range"},
        {"app:99999999999", "gid 99999999999 is out of range"},
        {"App", "no user 'App' in /etc/passwd"},  // names are case-sensitive
        {"app:users:x", "no group 'users:x' in /etc/group"},
    };
    for (const auto& row : rows) {
      SUBCASE(row.spec) {
        auto r = resolveUser(row.spec, kPasswd, kGroup, 0);
        REQUIRE_FALSE(r);
        CHECK(r.error().what == row.message);
      }
    }
  }

  TEST_CASE("homeOfUid falls back to / for unknown uids and empty homes") {
    CHECK(vigil::homeOfUid(kPasswd, 0) == "/root");
    CHECK(vigil::homeOfUid(kPasswd, 1001) == "/");
    CHECK(vigil::homeOfUid(kPasswd, 31337) == "/");
  }

  TEST_CASE("readUserDb reads below a root directory and treats a missing file as empty") {
    char dir[] = "/tmp/vigil-passwd-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    std::string root = dir;
    REQUIRE(mkdir((root + "/etc").c_str(), 0755) == 0);
    std::ofstream(root + "/etc/passwd") << "x:x:5:5::/h:\n";
    auto text = vigil::readUserDb(root, "etc/passwd");
    REQUIRE(text);
    CHECK(*text == "x:x:5:5::/h:\n");
    auto missing = vigil::readUserDb(root, "etc/group");
    REQUIRE(missing);
    CHECK(missing->empty());
    auto not_a_file = vigil::readUserDb(root, "etc");  // EISDIR is an error, not "empty"
    CHECK_FALSE(not_a_file);
    std::remove((root + "/etc/passwd").c_str());
    rmdir((root + "/etc").c_str());
    rmdir(dir);
  }
}
