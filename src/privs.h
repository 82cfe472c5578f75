// SPDX-License-Identifier: Apache-2.0
// Privilege drop for the child (-u/--user, --keep-caps, --no-new-privs): everything that parses or
// allocates builds a PrivPlan before fork; applyPrivPlan then runs between fork and exec.
#pragma once

#include <linux/capability.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace vigil {

/// Most supplementary groups a plan can carry (the kernel allows 65536; real users have few).
inline constexpr size_t kMaxGroups = 1024;

/// The privilege options as given on the command line, environment or config file.
struct PrivOptions {
  std::optional<std::string> user;       ///< -u/--user USER[:GROUP]
  std::optional<std::string> keep_caps;  ///< --keep-caps LIST; "" keeps no capability
  bool no_new_privs = false;             ///< --no-new-privs
  std::string user_origin = "--user";    ///< where --user was set, for errors
  std::string caps_origin = "--keep-caps";  ///< where --keep-caps was set, for errors
};

/// What planning needs to know about vigil's process and system; tests fill it by hand.
struct PrivContext {
  std::string passwd_text;  ///< /etc/passwd ("" when absent)
  std::string group_text;   ///< /etc/group ("" when absent)
  uid_t euid = 0;
  gid_t egid = 0;
  std::optional<std::string> home;  ///< vigil's $HOME, unset when nullopt
  int cap_count = 0;                ///< capabilities the running kernel knows (cap_last_cap + 1)
  uint64_t cap_permitted = 0;
  uint64_t cap_effective = 0;
  uint64_t cap_bounding = 0;
};

/// Everything the forked child needs, precomputed: applyPrivPlan only reads it.
struct PrivPlan {
  bool set_user = false;  ///< setgroups + setresgid + setresuid to the ids below
  uid_t uid = 0;
  gid_t gid = 0;
  std::array<gid_t, kMaxGroups> groups{};
  size_t group_count = 0;
  bool restrict_caps = false;             ///< --keep-caps given: bounding drop, capset, ambient set
  uint64_t keep_caps = 0;                 ///< bit N = capability N survives
  uint64_t drop_bounding = 0;             ///< capabilities the kernel knows that are not kept
  bool keep_across_setuid = false;        ///< PR_SET_KEEPCAPS around setresuid
  bool raise_ambient = false;             ///< the child is not root: kept caps need the ambient set
  __user_cap_header_struct cap_header{};  ///< _LINUX_CAPABILITY_VERSION_3, pid 0
  std::array<__user_cap_data_struct, 2> cap_data{};  ///< permitted = effective = inheritable
  bool no_new_privs = false;
  std::string home_env;  ///< "HOME=dir" to replace or add in the child's envp; "" to leave it
};

/// Parses a comma-separated capability list ("net_bind_service,CAP_CHOWN") into a bit mask.
Result<uint64_t> parseCapList(std::string_view list);

/// Formats a capability mask as "cap_chown,cap_net_bind_service" (numbers for unnamed bits).
std::string capListToString(uint64_t mask);

/// Whether the child's HOME is replaced: when unset, empty, or still vigil's own passwd home
/// (the HOME=/root Docker sets for root), but not when the user chose another value.
bool shouldSetHome(const std::optional<std::string>& home, std::string_view invoking_home);

/// Builds the plan from options and context; errors name the option and value (exit 2).
Result<PrivPlan> buildPrivPlan(const PrivOptions& opts, const PrivContext& ctx);

/// Reads the context of the running process (files under `root_dir`, "" for /) and builds the plan.
Result<PrivPlan> planPrivileges(const PrivOptions& opts, const std::string& root_dir = "");

/// Applies the plan in the forked child; async-signal-safe, no allocation. Returns 0, or an errno
/// with `*step` naming the failed call (e.g. "setuid") for "vigil: setuid: ..." and exit 126.
int applyPrivPlan(const PrivPlan& plan, const char** step) noexcept;

}  // namespace vigil
