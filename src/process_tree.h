// SPDX-License-Identifier: Apache-2.0
// The descendants of a process, found by walking /proc/<pid>/stat parent links.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// One process as read from /proc/<pid>/stat.
struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;
  unsigned long long rss_pages = 0;
};

/// Parses the text of /proc/<pid>/stat; the command name may contain spaces and ')'.
std::optional<ProcStat> parseProcStat(std::string_view text);

/// Every process below `root` (not `root` itself), found through `proc_root` (usually /proc).
std::vector<ProcStat> listDescendants(pid_t root, const std::string& proc_root = "/proc");

/// Sends `sig` to every descendant of `root`; returns how many were signalled.
int signalDescendants(pid_t root, int sig, const std::string& proc_root = "/proc");

}  // namespace vigil
