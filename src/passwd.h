// SPDX-License-Identifier: Apache-2.0
// Parsers for /etc/passwd and /etc/group text and resolution of a USER[:GROUP] spec to ids,
// without NSS (a static binary cannot load NSS modules, so names are looked up in the files).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace vigil {

/// One usable line of /etc/passwd: name:password:uid:gid:gecos:home:shell.
struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;  ///< empty when the field is missing
};

/// One usable line of /etc/group: name:password:gid:member,member...
struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

/// The identity a USER[:GROUP] spec resolves to.
struct ResolvedUser {
  std::string name;  ///< passwd name; empty for a numeric uid without an entry
  uid_t uid = 0;
  gid_t gid = 0;              ///< primary group
  std::vector<gid_t> groups;  ///< supplementary groups, primary first, no duplicates
  std::string home;           ///< passwd home, or "/" when unknown
};

/// Parses passwd text; skips comments, blank lines and lines without a valid name, uid and gid.
std::vector<PasswdEntry> parsePasswd(std::string_view text);

/// Parses group text; skips comments, blank lines and lines without a valid name and gid.
std::vector<GroupEntry> parseGroup(std::string_view text);

/// Parses a decimal uid/gid: 0..4294967294 (4294967295 is -1, "unchanged" to the kernel).
std::optional<unsigned> parseId(std::string_view text);

/// The home directory of `uid` in passwd text, or "/" when it has no entry or an empty home.
std::string homeOfUid(std::string_view passwd_text, uid_t uid);

/// Resolves USER[:GROUP] (names or numbers) against passwd and group text. A numeric uid
/// without a passwd entry is allowed and gets `default_gid` unless GROUP is given.
Result<ResolvedUser> resolveUser(std::string_view spec, std::string_view passwd_text,
                                 std::string_view group_text, gid_t default_gid);

/// Reads `root_dir`/`rel_path` (e.g. "etc/passwd"); a missing file reads as empty text.
Result<std::string> readUserDb(const std::string& root_dir, const std::string& rel_path);

}  // namespace vigil
