// SPDX-License-Identifier: Apache-2.0
// The termination log: one paragraph saying why vigil stopped the program (Kubernetes shows it
// as the container's termination message). Formatting is pure; writing is one small helper.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "memory_source.h"
#include "result.h"

namespace vigil {

/// The longest termination message written (Kubernetes reads at most 4096 bytes).
inline constexpr size_t kTerminationLogMax = 4096;

/// What the termination message says.
struct TerminationReport {
  std::string metric;               ///< "workingset"
  std::string source;               ///< "cgroup2"
  uint64_t usage = 0;               ///< bytes at the trigger
  uint64_t limit = 0;               ///< the limit that was crossed
  std::string trigger;              ///< "stayed at or over the soft limit for 5s"
  std::optional<uint64_t> cgroup_max;
  std::string action;               ///< "sent SIGTERM to the child (pid 7)"
  std::vector<ProcessRss> top;      ///< largest processes by RSS
  std::string outcome;              ///< empty at the trigger; filled in at exit
};

/// The paragraph, at most kTerminationLogMax bytes, ending in a newline.
std::string formatTerminationLog(const TerminationReport& report);

/// Replaces the file at `path` with `text`.
Result<void> writeTerminationLog(const std::string& path, const std::string& text);

}  // namespace vigil
