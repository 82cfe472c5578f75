// SPDX-License-Identifier: Apache-2.0
// /etc/passwd and /etc/group (passwd.h), USER[:GROUP] resolution and the privilege plan built
// from them (privs.h buildPrivPlan, with --keep-caps). Input: passwd text, NUL, group text, NUL,
// the --user spec, NUL, the --keep-caps list; missing parts are empty (no user, no caps). An
// input without any NUL is tried as passwd and group text at once, with the user "root".
#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "passwd.h"
#include "privs.h"

namespace {

constexpr unsigned kNoId = UINT32_MAX;

void checkResolved(const vigil::ResolvedUser& r) {
  FUZZ_CHECK(r.uid != kNoId && r.gid != kNoId);
  FUZZ_CHECK(!r.groups.empty() && r.groups[0] == r.gid);
  std::vector<gid_t> sorted = r.groups;
  std::sort(sorted.begin(), sorted.end());
  FUZZ_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  FUZZ_CHECK(!r.home.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::asText(data, size);
  auto parts = fuzz::splitN(text, '\0', 4);
  std::string_view passwd = parts[0];
  std::string_view group = parts.size() > 1 ? parts[1] : parts[0];
  std::string_view spec = parts.size() > 2 ? parts[2] : std::string_view(parts.size() > 1 ? "" : "root");
  std::optional<std::string> caps;
  if (parts.size() > 3) caps = std::string(parts[3]);

  for (const auto& e : vigil::parsePasswd(passwd)) {
    FUZZ_CHECK(!e.name.empty() && e.name.find_first_of(":\n") == std::string::npos);
    FUZZ_CHECK(e.uid != kNoId && e.gid != kNoId);
    FUZZ_CHECK(e.home.find('\n') == std::string::npos);
  }
  for (const auto& g : vigil::parseGroup(group)) {
    FUZZ_CHECK(!g.name.empty() && g.name.find_first_of(":\n") == std::string::npos);
    FUZZ_CHECK(g.gid != kNoId);
    for (const auto& m : g.members) FUZZ_CHECK(!m.empty() && m.find_first_of(",:\n") == std::string::npos);
  }
  if (auto id = vigil::parseId(spec)) {
    FUZZ_CHECK(*id != kNoId);
    FUZZ_CHECK(vigil::parseId(std::to_string(*id)) == id);
  }
  FUZZ_CHECK(!vigil::homeOfUid(passwd, 0).empty());

  // A numeric uid without an entry gets this gid, and an empty user spec is an error.
  constexpr gid_t kDefaultGid = 4242;
  auto resolved = vigil::resolveUser(spec, passwd, group, kDefaultGid);
  if (resolved) {
    FUZZ_CHECK(!spec.empty());
    checkResolved(*resolved);
  }

  vigil::PrivOptions opts;
  if (!spec.empty()) opts.user = std::string(spec);
  opts.keep_caps = caps;
  vigil::PrivContext ctx;
  ctx.passwd_text = std::string(passwd);
  ctx.group_text = std::string(group);
  ctx.euid = 0;
  ctx.egid = kDefaultGid;
  ctx.cap_count = 41;
  ctx.cap_permitted = ctx.cap_effective = ctx.cap_bounding = (uint64_t{1} << 41) - 1;
  auto plan = vigil::buildPrivPlan(opts, ctx);
  if (plan) {
    FUZZ_CHECK(plan->group_count <= vigil::kMaxGroups);
    FUZZ_CHECK(plan->set_user == opts.user.has_value());
    if (plan->set_user) {
      FUZZ_CHECK(resolved && plan->uid == resolved->uid && plan->gid == resolved->gid);
      FUZZ_CHECK(plan->group_count >= 1 && plan->groups[0] == plan->gid);
    }
    if (!plan->home_env.empty()) FUZZ_CHECK(plan->home_env.rfind("HOME=", 0) == 0);
    FUZZ_CHECK((plan->keep_caps & ~ctx.cap_permitted) == 0);
    FUZZ_CHECK((plan->keep_caps & plan->drop_bounding) == 0);
  } else {
    FUZZ_CHECK(!plan.error().what.empty());
  }
  return 0;
}
