// SPDX-License-Identifier: Apache-2.0
// Builds the child's privilege plan (libcap name parsing, passwd resolution, capability checks)
// before fork, and applies it after fork with raw, async-signal-safe system calls only.
#include "privs.h"

#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "passwd.h"

namespace vigil {
namespace {

struct CapFree {
  void operator()(char* p) const { cap_free(p); }
};
using CapName = std::unique_ptr<char, CapFree>;

// prctl(2) is variadic and the kernel reads unsigned longs: an int argument would leave the
// upper half of the register undefined, and PR_CAP_AMBIENT rejects nonzero unused arguments.
constexpr unsigned long kAmbientClearAll = PR_CAP_AMBIENT_CLEAR_ALL;
constexpr unsigned long kAmbientRaise = PR_CAP_AMBIENT_RAISE;

constexpr uint64_t bit(int cap) { return uint64_t{1} << cap; }

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string capName(int cap) {
  CapName name(cap_to_name(cap));
  return name ? std::string(name.get()) : std::to_string(cap);
}

// Capabilities the running kernel knows. libcap probes it at start-up (PR_CAPBSET_READ); the
// probe is repeated here if libcap reports nonsense, since a wrong count would skip drops.
int kernelCapCount() {
  int n = cap_max_bits();
  if (n > 0 && n <= 64) return n;
  n = 0;
  while (n < 64 && prctl(PR_CAPBSET_READ, static_cast<unsigned long>(n), 0UL, 0UL, 0UL) >= 0) ++n;
  return n;
}

}  // namespace

Result<uint64_t> parseCapList(std::string_view list) {
  uint64_t mask = 0;
  if (trim(list).empty()) return mask;
  for (;;) {
    size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (item.empty()) return makeError("empty capability name in the list");
    std::string name;
    for (char c : item) {
      bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
      if (!lower && !upper && c != '_' && !(c >= '0' && c <= '9')) {
        return makeError("invalid capability name '" + std::string(item) + "'");
      }
      name += upper ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (name.compare(0, 4, "cap_") != 0) name.insert(0, "cap_");
    // cap_from_name() stops at the first character that is not a letter or '_' and ignores the
    // rest ("cap_chown2" is CAP_CHOWN) and accepts numbers, so the round trip must match exactly.
    cap_value_t value = -1;
    if (cap_from_name(name.c_str(), &value) != 0 || value < 0 || value >= 64 ||
        capName(value) != name) {
      return makeError("unknown capability '" + std::string(item) + "' (see capabilities(7))");
    }
    mask |= bit(value);
    if (comma == std::string_view::npos) return mask;
    list.remove_prefix(comma + 1);
  }
}

std::string capListToString(uint64_t mask) {
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(mask & bit(cap))) continue;
    if (!out.empty()) out += ',';
    out += capName(cap);
  }
  return out;
}

bool shouldSetHome(const std::optional<std::string>& home, std::string_view invoking_home) {
  return !home || home->empty() || *home == invoking_home;
}

Result<PrivPlan> buildPrivPlan(const PrivOptions& opts, const PrivContext& ctx) {
  PrivPlan plan;
  plan.no_new_privs = opts.no_new_privs;
  uid_t child_uid = ctx.euid;
  if (opts.user) {
    auto user = resolveUser(*opts.user, ctx.passwd_text, ctx.group_text, ctx.egid);
    if (!user) return makeError(opts.user_origin + " " + *opts.user + ": " + user.error().what);
    if (user->groups.size() > kMaxGroups) {
      return makeError(opts.user_origin + " " + *opts.user + ": more than " + std::to_string(kMaxGroups) +
                       " supplementary groups");
    }
    plan.set_user = true;
    plan.uid = child_uid = user->uid;
    plan.gid = user->gid;
    plan.group_count = user->groups.size();
    std::copy(user->groups.begin(), user->groups.end(), plan.groups.begin());
    if (shouldSetHome(ctx.home, homeOfUid(ctx.passwd_text, ctx.euid))) {
      plan.home_env = "HOME=" + user->home;
    }
  }
  if (!opts.keep_caps) return plan;

  const std::string prefix = opts.caps_origin + " '" + *opts.keep_caps + "': ";
  auto keep = parseCapList(*opts.keep_caps);
  if (!keep) return makeError(prefix + keep.error().what);
  uint64_t known = ctx.cap_count >= 64 ? ~uint64_t{0} : bit(ctx.cap_count) - 1;
  if (uint64_t unknown = *keep & ~known) {
    return makeError(prefix + capListToString(unknown) + " not supported by the running kernel");
  }
  // capset(2) may only keep what vigil holds, and inheritable (needed for ambient) must also be
  // in the bounding set; saying so now beats an EPERM from the child.
  if (uint64_t missing = *keep & ~(ctx.cap_permitted & ctx.cap_bounding)) {
    return makeError(prefix + "vigil itself does not hold " + capListToString(missing));
  }
  plan.restrict_caps = true;
  plan.keep_caps = *keep;
  plan.drop_bounding = known & ~*keep;
  if ((plan.drop_bounding & ctx.cap_bounding) && !(ctx.cap_effective & bit(CAP_SETPCAP))) {
    return makeError(prefix + "shrinking the bounding set needs cap_setpcap, which vigil lacks");
  }
  // setresuid(2) from root clears the permitted set unless PR_SET_KEEPCAPS is on; a non-root
  // child loses all capabilities at execve(2) unless they are in the ambient set.
  plan.keep_across_setuid = plan.set_user && child_uid != 0;
  plan.raise_ambient = child_uid != 0;
  plan.cap_header.version = _LINUX_CAPABILITY_VERSION_3;
  plan.cap_header.pid = 0;
  for (size_t i = 0; i < plan.cap_data.size(); ++i) {
    auto word = static_cast<uint32_t>(*keep >> (32 * i));
    plan.cap_data[i] = {word, word, word};  // effective, permitted, inheritable
  }
  return plan;
}

Result<PrivPlan> planPrivileges(const PrivOptions& opts, const std::string& root_dir) {
  PrivContext ctx;
  ctx.euid = ::geteuid();
  ctx.egid = ::getegid();
  if (const char* home = std::getenv("HOME")) ctx.home = home;
  if (opts.user) {
    auto passwd = readUserDb(root_dir, "etc/passwd");
    if (!passwd) return makeError(opts.user_origin + " " + *opts.user + ": " + passwd.error().what);
    auto group = readUserDb(root_dir, "etc/group");
    if (!group) return makeError(opts.user_origin + " " + *opts.user + ": " + group.error().what);
    ctx.passwd_text = std::move(*passwd);
    ctx.group_text = std::move(*group);
  }
  if (opts.keep_caps) {
    ctx.cap_count = kernelCapCount();
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &header, data) != 0) return systemError("capget");
    for (int i = 0; i < 2; ++i) {
      ctx.cap_permitted |= uint64_t{data[i].permitted} << (32 * i);
      ctx.cap_effective |= uint64_t{data[i].effective} << (32 * i);
    }
    for (int cap = 0; cap < ctx.cap_count; ++cap) {
      if (prctl(PR_CAPBSET_READ, static_cast<unsigned long>(cap), 0UL, 0UL, 0UL) == 1) {
        ctx.cap_bounding |= bit(cap);
      }
    }
  }
  return buildPrivPlan(opts, ctx);
}

int applyPrivPlan(const PrivPlan& plan, const char** step) noexcept {
  auto fail = [step](const char* what) {
    int err = errno;
    *step = what;
    return err;
  };
  *step = nullptr;
  if (plan.keep_across_setuid && prctl(PR_SET_KEEPCAPS, 1UL, 0UL, 0UL, 0UL) != 0) {
    return fail("PR_SET_KEEPCAPS");
  }
  // Shrink the bounding set while still privileged: PR_CAPBSET_DROP needs CAP_SETPCAP, even for
  // a capability already gone, so those are skipped (prctl(2)).
  for (int cap = 0; plan.restrict_caps && cap < 64; ++cap) {
    if (!(plan.drop_bounding & bit(cap))) continue;
    auto c = static_cast<unsigned long>(cap);
    int in_set = prctl(PR_CAPBSET_READ, c, 0UL, 0UL, 0UL);
    if (in_set < 0) return fail("PR_CAPBSET_READ");
    if (in_set == 1 && prctl(PR_CAPBSET_DROP, c, 0UL, 0UL, 0UL) != 0)
      return fail("PR_CAPBSET_DROP");
  }
  // Groups first, then gid, then uid: each step needs privileges the next one gives up.
  // These glibc wrappers are single system calls here (the child has one thread).
  if (plan.set_user) {
    if (::setgroups(plan.group_count, plan.groups.data()) != 0) return fail("setgroups");
    if (::setresgid(plan.gid, plan.gid, plan.gid) != 0) return fail("setgid");
    if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) return fail("setuid");
  }
  if (plan.restrict_caps) {
    // capset(2) is called raw: libcap's cap_set_proc() allocates. The kernel may write the
    // header (version negotiation), so it gets a copy.
    __user_cap_header_struct header = plan.cap_header;
    std::array<__user_cap_data_struct, 2> data = plan.cap_data;
    if (::syscall(SYS_capset, &header, data.data()) != 0) return fail("capset");
    // Ambient capabilities need both permitted and inheritable, set just above. Kernels before
    // 4.3 have no ambient set (EINVAL), which only matters when something must be raised.
    if (prctl(PR_CAP_AMBIENT, kAmbientClearAll, 0UL, 0UL, 0UL) != 0 &&
        (plan.raise_ambient || errno != EINVAL)) {
      return fail("PR_CAP_AMBIENT_CLEAR_ALL");
    }
    for (int cap = 0; plan.raise_ambient && cap < 64; ++cap) {
      if (!(plan.keep_caps & bit(cap))) continue;
      auto c = static_cast<unsigned long>(cap);
      if (prctl(PR_CAP_AMBIENT, kAmbientRaise, c, 0UL, 0UL) != 0)
        return fail("PR_CAP_AMBIENT_RAISE");
    }
  }
  if (plan.keep_across_setuid && prctl(PR_SET_KEEPCAPS, 0UL, 0UL, 0UL, 0UL) != 0) {
    return fail("PR_SET_KEEPCAPS");
  }
  // Last, so nothing above is affected; it also survives execve(2) and cannot be undone.
  if (plan.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) != 0) {
    return fail("PR_SET_NO_NEW_PRIVS");
  }
  return 0;
}

}  // namespace vigil
