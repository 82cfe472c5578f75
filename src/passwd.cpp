// SPDX-License-Identifier: Apache-2.0
// /etc/passwd and /etc/group parsing and USER[:GROUP] resolution, as su-exec and gosu do it,
// so that the static binary never needs NSS.
#include "passwd.h"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

#include "fd.h"

namespace vigil {
namespace {

// /etc/group lines of large organisations can be long; the files themselves stay far below this.
constexpr size_t kMaxUserDbBytes = 64u << 20;

// Calls fn(line) for each line that is neither blank nor a comment, without its "\r\n" or "\n".
template <typename Fn>
void forEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    fn(line);
  }
}

// Splits at ':' into at most N fields; missing trailing fields stay empty. Returns the count.
template <size_t N>
size_t splitFields(std::string_view line, std::array<std::string_view, N>& out) {
  size_t n = 0;
  while (n < N) {
    size_t colon = line.find(':');
    out[n++] = line.substr(0, colon);
    if (colon == std::string_view::npos) break;
    line.remove_prefix(colon + 1);
  }
  return n;
}

bool isNumeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<unsigned> parseId(std::string_view text) {
  uint32_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || v == UINT32_MAX) return std::nullopt;
  return v;
}

std::vector<PasswdEntry> parsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  forEachLine(text, [&](std::string_view line) {
    std::array<std::string_view, 7> f;
    if (splitFields(line, f) < 4 || f[0].empty()) return;
    auto uid = parseId(f[2]);
    auto gid = parseId(f[3]);
    if (!uid || !gid) return;
    out.push_back(PasswdEntry{std::string(f[0]), *uid, *gid, std::string(f[5])});
  });
  return out;
}

std::vector<GroupEntry> parseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  forEachLine(text, [&](std::string_view line) {
    std::array<std::string_view, 4> f;
    if (splitFields(line, f) < 3 || f[0].empty()) return;
    auto gid = parseId(f[2]);
    if (!gid) return;
    GroupEntry g{std::string(f[0]), *gid, {}};
    for (std::string_view list = f[3]; !list.empty();) {
      size_t comma = list.find(',');
      std::string_view member = list.substr(0, comma);
      if (!member.empty()) g.members.emplace_back(member);
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    }
    out.push_back(std::move(g));
  });
  return out;
}

std::string homeOfUid(std::string_view passwd_text, uid_t uid) {
  for (const auto& e : parsePasswd(passwd_text)) {
    if (e.uid == uid) return e.home.empty() ? "/" : e.home;
  }
  return "/";
}

Result<ResolvedUser> resolveUser(std::string_view spec, std::string_view passwd_text,
                                 std::string_view group_text, gid_t default_gid) {
  size_t colon = spec.find(':');
  std::string_view user = spec.substr(0, colon);
  bool has_group = colon != std::string_view::npos;
  std::string_view group = has_group ? spec.substr(colon + 1) : std::string_view();
  if (user.empty()) return makeError("empty user name");
  if (has_group && group.empty()) return makeError("empty group name after ':'");

  // First match wins, as with getpwnam(3). A number is always a uid (su-exec, gosu).
  const std::vector<PasswdEntry> users = parsePasswd(passwd_text);
  const PasswdEntry* entry = nullptr;
  ResolvedUser r;
  if (isNumeric(user)) {
    auto uid = parseId(user);
    if (!uid) return makeError("uid " + std::string(user) + " is out of range");
    r.uid = *uid;
    for (const auto& e : users) {
      if (e.uid == r.uid) {
        entry = &e;
        break;
      }
    }
  } else {
    for (const auto& e : users) {
      if (e.name == user) {
        entry = &e;
        break;
      }
    }
    if (!entry) return makeError("no user '" + std::string(user) + "' in /etc/passwd");
    r.uid = entry->uid;
  }
  if (entry) r.name = entry->name;
  r.home = entry && !entry->home.empty() ? entry->home : "/";

  const std::vector<GroupEntry> groups = parseGroup(group_text);
  if (has_group) {
    // An explicit group replaces the membership list too (su-exec): the child gets that group only.
    if (isNumeric(group)) {
      auto gid = parseId(group);
      if (!gid) return makeError("gid " + std::string(group) + " is out of range");
      r.gid = *gid;
    } else {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const GroupEntry& g) { return g.name == group; });
      if (it == groups.end())
        return makeError("no group '" + std::string(group) + "' in /etc/group");
      r.gid = it->gid;
    }
    r.groups = {r.gid};
    return r;
  }

  // Without GROUP: the passwd gid; for an unknown numeric uid, the caller's gid, as gosu, su-exec
  // and `docker run -u 1234` do (OpenShift's arbitrary-uid images rely on that being gid 0).
  r.gid = entry ? entry->gid : default_gid;
  r.groups = {r.gid};
  if (r.name.empty()) return r;
  for (const auto& g : groups) {
    bool member = std::find(g.members.begin(), g.members.end(), r.name) != g.members.end();
    if (member && std::find(r.groups.begin(), r.groups.end(), g.gid) == r.groups.end()) {
      r.groups.push_back(g.gid);
    }
  }
  return r;
}

Result<std::string> readUserDb(const std::string& root_dir, const std::string& rel_path) {
  std::string path = (root_dir.empty() ? std::string("/") : root_dir + "/") + rel_path;
  auto text = readFileAt(AT_FDCWD, path, kMaxUserDbBytes);
  // A scratch image has no /etc/passwd at all; numeric ids must still work there.
  if (!text && text.error().err == ENOENT) return std::string();
  return text;
}

}  // namespace vigil
