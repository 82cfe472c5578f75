// SPDX-License-Identifier: Apache-2.0
// Walks /proc to find a process's descendants. A process may exit between listing and reading,
// so a missing or unreadable entry is skipped, never an error.
#include "process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>

#include <charconv>
#include <map>

#include "fd.h"

namespace vigil {

std::optional<ProcStat> parseProcStat(std::string_view text) {
  // Format (proc(5)): "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
  // majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
  // vsize rss ...". comm is whatever the process chose, so split at the last ')'.
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  ProcStat st;
  auto head = text.substr(0, open);
  while (!head.empty() && head.back() == ' ') head.remove_suffix(1);
  auto [p, ec] = std::from_chars(head.data(), head.data() + head.size(), st.pid);
  // A pid of 0 or below is no process: kill() would signal a whole process group, or everyone.
  if (ec != std::errc() || p != head.data() + head.size() || st.pid <= 0) return std::nullopt;
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  std::string_view rest = text.substr(close + 1);
  // Fields after comm, counted from 1: state(1) ppid(2) ... rss(22).
  int field = 0;
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    auto end = rest.find(' ');
    auto tok = rest.substr(0, end);
    ++field;
    if (field == 2) {
      auto [q, e] = std::from_chars(tok.data(), tok.data() + tok.size(), st.ppid);
      if (e != std::errc() || st.ppid < 0) return std::nullopt;
    } else if (field == 22) {
      auto [q, e] = std::from_chars(tok.data(), tok.data() + tok.size(), st.rss_pages);
      if (e != std::errc()) return std::nullopt;
      break;
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  if (field < 2) return std::nullopt;
  return st;
}

std::vector<ProcStat> listDescendants(pid_t root, const std::string& proc_root) {
  std::vector<ProcStat> all;
  DIR* dir = ::opendir(proc_root.c_str());
  if (!dir) return {};
  while (dirent* de = ::readdir(dir)) {
    pid_t pid = 0;
    std::string_view name(de->d_name);
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || p != name.data() + name.size()) continue;
    auto text = readKernelFileAt(AT_FDCWD, proc_root + "/" + std::string(name) + "/stat");
    if (!text) continue;
    if (auto st = parseProcStat(*text)) all.push_back(std::move(*st));
  }
  ::closedir(dir);

  std::multimap<pid_t, size_t> by_parent;
  for (size_t i = 0; i < all.size(); ++i) by_parent.emplace(all[i].ppid, i);
  std::vector<ProcStat> out;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    pid_t parent = todo.back();
    todo.pop_back();
    auto [lo, hi] = by_parent.equal_range(parent);
    for (auto it = lo; it != hi; ++it) {
      const ProcStat& child = all[it->second];
      if (child.pid == root) continue;  // a cycle is impossible, but never loop on bad data
      out.push_back(child);
      todo.push_back(child.pid);
    }
    if (out.size() > all.size()) break;
  }
  return out;
}

int signalDescendants(pid_t root, int sig, const std::string& proc_root) {
  int n = 0;
  for (const auto& p : listDescendants(root, proc_root)) {
    // ESRCH: it exited since the listing; that is a race to ignore, not an error.
    if (::kill(p.pid, sig) == 0) ++n;
  }
  return n;
}

}  // namespace vigil
