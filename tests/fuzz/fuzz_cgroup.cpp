// SPDX-License-Identifier: Apache-2.0
// Cgroup discovery: /proc/self/cgroup and /proc/self/mountinfo (cgroup.h). Input: the cgroup
// text, a NUL, then the mountinfo text (neither file ever holds a NUL); without a NUL the whole
// input is tried as both. A directory found for a cgroup path lies under the mount point it was
// found through and never climbs out of it with "..".
#include <cstdint>
#include <string>

#include "cgroup.h"
#include "fuzz_util.h"

namespace {

using fuzz::asText;

std::string_view withoutTrailingSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

void checkDirUnder(const vigil::MountEntry& m, const vigil::CgroupEntry& c) {
  auto dir = vigil::cgroupDirUnder(m, c.path);
  if (!dir) return;
  std::string_view mount_point = withoutTrailingSlashes(m.mount_point);
  FUZZ_CHECK(dir->compare(0, mount_point.size(), mount_point) == 0);
  std::string_view below = std::string_view(*dir).substr(mount_point.size());
  FUZZ_CHECK(below.empty() || below[0] == '/');
  for (std::string_view part : fuzz::split(below, '/')) FUZZ_CHECK(part != "..");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = asText(data, size);
  auto parts = fuzz::splitN(text, '\0', 2);
  std::string_view cgroup_text = parts[0];
  std::string_view mountinfo_text = parts.size() > 1 ? parts[1] : parts[0];

  auto cgroups = vigil::parseProcSelfCgroup(cgroup_text);
  for (const auto& c : cgroups) {
    FUZZ_CHECK(!c.path.empty() && c.path[0] == '/');
    FUZZ_CHECK(c.path.find('\n') == std::string::npos);
    for (const auto& ctl : c.controllers)
      FUZZ_CHECK(ctl.find_first_of(",:\n") == std::string::npos);
  }
  auto mounts = vigil::parseMountinfo(mountinfo_text);
  for (const auto& m : mounts) {
    for (const auto& o : m.super_options) FUZZ_CHECK(o.find(',') == std::string::npos);
  }
  // Every pair, but bounded: discovery itself is linear in each list.
  for (size_t i = 0; i < mounts.size() && i < 16; ++i)
    for (size_t j = 0; j < cgroups.size() && j < 16; ++j) checkDirUnder(mounts[i], cgroups[j]);

  auto dirs = vigil::resolveCgroupDirs(cgroup_text, mountinfo_text);
  // A directory found is below the mount point of a mount of the right type.
  auto underMountOf = [&](const std::string& dir, bool v2) {
    for (const auto& m : mounts) {
      if (v2 ? m.fstype != "cgroup2" : m.fstype != "cgroup") continue;
      std::string_view mount_point = withoutTrailingSlashes(m.mount_point);
      if (dir.compare(0, mount_point.size(), mount_point) == 0) return true;
    }
    return false;
  };
  if (dirs.v2) FUZZ_CHECK(underMountOf(*dirs.v2, true));
  if (dirs.v1_memory) FUZZ_CHECK(underMountOf(*dirs.v1_memory, false));

  std::string unescaped = vigil::unescapeMountPath(text);
  FUZZ_CHECK(unescaped.size() <= text.size());
  (void)vigil::controllersInclude(text, "memory");
  return 0;
}
