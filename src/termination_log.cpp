// SPDX-License-Identifier: Apache-2.0
// Termination message formatting and writing.
#include "termination_log.h"

#include <fcntl.h>
#include <unistd.h>

#include "fd.h"
#include "mem_limit.h"

namespace vigil {

std::string formatTerminationLog(const TerminationReport& r) {
  std::string out = "vigil: memory limit exceeded: " + r.metric + " " + formatBytes(r.usage) +
                    " (" + std::to_string(r.usage) + " bytes) " + r.trigger + " " +
                    formatBytes(r.limit) + " (" + std::to_string(r.limit) + " bytes)";
  out += "; source " + r.source;
  if (r.cgroup_max) out += ", cgroup limit " + formatBytes(*r.cgroup_max);
  out += "; " + r.action + ".";
  if (!r.top.empty()) {
    out += " Largest processes by RSS:";
    for (size_t i = 0; i < r.top.size(); ++i) {
      const auto& p = r.top[i];
      out += (i ? ", " : " ") + std::to_string(p.pid) + " " + p.comm + " " +
             formatBytes(p.rss_bytes);
    }
    out += ".";
  }
  if (!r.outcome.empty()) out += " Outcome: " + r.outcome + ".";
  if (out.size() > kTerminationLogMax - 1) {
    out.resize(kTerminationLogMax - 4);
    out += "...";
  }
  out += '\n';
  return out;
}

Result<void> writeTerminationLog(const std::string& path, const std::string& text) {
  // O_NONBLOCK: a FIFO nobody reads (or a stuck device) must fail at once, never hold up the
  // memory action; regular files ignore the flag.
  UniqueFd fd(::open(path.c_str(),
                     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644));
  if (!fd) return systemError("open " + path);
  if (auto w = writeAll(fd.get(), text); !w) return systemError("write " + path, w.error().err);
  return ok();
}

}  // namespace vigil
