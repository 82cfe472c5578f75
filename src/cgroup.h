// SPDX-License-Identifier: Apache-2.0
// Finds vigil's own cgroup directories from /proc/self/cgroup and /proc/self/mountinfo, and
// picks the memory source (cgroup v2, cgroup v1 or procfs) that the watcher samples.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memory_source.h"
#include "result.h"

namespace vigil {

/// One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path".
struct CgroupEntry {
  unsigned hierarchy_id = 0;
  std::vector<std::string> controllers;  ///< empty on the v2 "0::" line; may hold "name=systemd"
  std::string path;
};

/// The fields of one /proc/PID/mountinfo line that discovery needs, with \ooo escapes decoded.
struct MountEntry {
  unsigned mount_id = 0;
  std::string root;  ///< the directory of the filesystem mounted here
  std::string mount_point;
  std::string fstype;
  std::vector<std::string> super_options;
};

/// Where vigil's cgroups are in this mount namespace.
struct CgroupDirs {
  std::optional<std::string> v2;         ///< the unified (cgroup2) directory of vigil
  std::optional<std::string> v1_memory;  ///< the cgroup v1 memory controller directory of vigil
};

/// Parses /proc/PID/cgroup; malformed lines are skipped.
std::vector<CgroupEntry> parseProcSelfCgroup(std::string_view text);

/// Parses /proc/PID/mountinfo (optional fields before " - " allowed); malformed lines skipped.
std::vector<MountEntry> parseMountinfo(std::string_view text);

/// Decodes mountinfo's octal escapes ("\040" is a space).
std::string unescapeMountPath(std::string_view text);

/// The directory of cgroup `path` under `mount`, or nullopt when the mount does not contain it.
std::optional<std::string> cgroupDirUnder(const MountEntry& mount, std::string_view path);

/// Finds vigil's v2 and v1-memory directories from the texts of /proc/self/{cgroup,mountinfo}.
/// Pure: whether the v2 directory has the memory controller is checked by selectSource.
CgroupDirs resolveCgroupDirs(std::string_view proc_cgroup, std::string_view mountinfo);

/// Whether a cgroup.controllers text ("cpu io memory pids") lists `controller`.
bool controllersInclude(std::string_view controllers_text, std::string_view controller);

/// A chosen source and, for auto, why the sources before it were passed over.
struct SourceChoice {
  std::unique_ptr<MemorySource> source;
  /// e.g. "cgroup2: /sys/fs/cgroup/unified has no memory controller"
  std::vector<std::string> skipped;
};

/// Opens the requested source. With `cgroup_root` (hidden --cgroup-root) that directory is the
/// cgroup, with no fall-back: cgroup2 if it has memory.current, cgroup1 if it has
/// memory.usage_in_bytes (procfs is still procfs). Otherwise the cgroup is discovered from
/// /proc/self: auto tries cgroup2, cgroup1, then procfs, taking the first whose probe sample
/// succeeds; an explicit kind that is unavailable is an error. procfs sums the descendants of
/// `procfs_root` (0: vigil itself; --health passes 1).
Result<SourceChoice> chooseSource(MemSourceKind requested,
                                  const std::optional<std::string>& cgroup_root,
                                  pid_t procfs_root = 0);

/// chooseSource without the reasons.
Result<std::unique_ptr<MemorySource>> selectSource(MemSourceKind requested,
                                                   const std::optional<std::string>& cgroup_root,
                                                   pid_t procfs_root = 0);

}  // namespace vigil
