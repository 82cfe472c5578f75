// SPDX-License-Identifier: Apache-2.0
// Cgroup discovery (pure parsing of /proc/self/cgroup and mountinfo) and memory source selection.
#include "cgroup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "fd.h"

namespace vigil {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t pos = s.find(sep);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    s.remove_prefix(pos + 1);
  }
}

std::optional<unsigned> toUnsigned(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool contains(const std::vector<std::string>& v, std::string_view item) {
  return std::find(v.begin(), v.end(), item) != v.end();
}

// Splits text into lines, calling f(line) for each non-empty one.
template <typename F>
void forEachLine(std::string_view text, F f) {
  for (std::string_view line : split(text, '\n'))
    if (!line.empty()) f(line);
}

Result<UniqueFd> openDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return systemError("open " + path);
  return fd;
}

bool existsAt(const UniqueFd& dir, const char* file) {
  return ::faccessat(dir.get(), file, F_OK, 0) == 0;
}

// Builds the source, then takes one sample so that a directory whose files are missing or
// unreadable (e.g. the root cgroup, which has no memory.current) is rejected at start.
template <typename Source, typename... Args>
Result<std::unique_ptr<MemorySource>> probe(Args&&... args) {
  auto source = std::make_unique<Source>(std::forward<Args>(args)...);
  auto s = source->sample(MemMetric::Current);
  if (!s) return s.error();
  return std::unique_ptr<MemorySource>(std::move(source));
}

Result<std::unique_ptr<MemorySource>> openCgroup(MemSourceKind kind, const std::string& dir) {
  auto fd = openDir(dir);
  if (!fd) return Error{fd.error().err, std::string(sourceKindName(kind)) + ": " + fd.error().what};
  if (kind == MemSourceKind::Cgroup2) return probe<Cgroup2Source>(std::move(*fd), dir);
  return probe<Cgroup1Source>(std::move(*fd), dir);
}

Result<std::unique_ptr<MemorySource>> discovered(MemSourceKind kind, const CgroupDirs& dirs) {
  if (kind == MemSourceKind::Cgroup2) {
    if (!dirs.v2) return makeError("cgroup2: no cgroup2 mount shows vigil's cgroup");
    // On hybrid hosts a cgroup2 hierarchy is mounted (e.g. /sys/fs/cgroup/unified) while the
    // memory controller stays bound to v1; cgroup.controllers lists what v2 controls here.
    auto controllers = readFileAt(AT_FDCWD, *dirs.v2 + "/cgroup.controllers", 4096);
    if (!controllers) return Error{controllers.error().err, "cgroup2: " + controllers.error().what};
    if (!controllersInclude(*controllers, "memory"))
      return makeError("cgroup2: " + *dirs.v2 + " has no memory controller");
    return openCgroup(kind, *dirs.v2);
  }
  if (!dirs.v1_memory) return makeError("cgroup1: no cgroup v1 memory mount shows vigil's cgroup");
  return openCgroup(kind, *dirs.v1_memory);
}

Result<std::unique_ptr<MemorySource>> fakeRoot(MemSourceKind kind, const std::string& root) {
  auto fd = openDir(root);
  if (!fd) return Error{fd.error().err, "--cgroup-root: " + fd.error().what};
  bool v2 = existsAt(*fd, "memory.current");
  bool v1 = existsAt(*fd, "memory.usage_in_bytes");
  if (kind == MemSourceKind::Auto && !v2 && !v1)
    return makeError("--cgroup-root " + root +
                     ": neither memory.current nor memory.usage_in_bytes there");
  if (kind == MemSourceKind::Auto) kind = v2 ? MemSourceKind::Cgroup2 : MemSourceKind::Cgroup1;
  if (kind == MemSourceKind::Cgroup2 && v2) return probe<Cgroup2Source>(std::move(*fd), root);
  if (kind == MemSourceKind::Cgroup1 && v1) return probe<Cgroup1Source>(std::move(*fd), root);
  return makeError("--cgroup-root " + root + ": no " +
                   (kind == MemSourceKind::Cgroup2 ? "memory.current" : "memory.usage_in_bytes") +
                   " there");
}

}  // namespace

std::string unescapeMountPath(std::string_view text) {
  // show_mountinfo() escapes space, tab, newline and backslash as \ooo (fs/proc_namespace.c).
  std::string out;
  out.reserve(text.size());
  auto octal = [&](size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '7'; };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>(((text[i + 1] - '0') << 6) | ((text[i + 2] - '0') << 3) |
                               (text[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += text[i];
  }
  return out;
}

std::vector<CgroupEntry> parseProcSelfCgroup(std::string_view text) {
  std::vector<CgroupEntry> out;
  forEachLine(text, [&](std::string_view line) {
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) return;
    auto id = toUnsigned(line.substr(0, a));
    std::string_view path = line.substr(b + 1);
    if (!id || path.empty() || path[0] != '/') return;
    CgroupEntry e;
    e.hierarchy_id = *id;
    std::string_view controllers = line.substr(a + 1, b - a - 1);
    if (!controllers.empty())
      for (std::string_view c : split(controllers, ',')) e.controllers.emplace_back(c);
    e.path = std::string(path);
    out.push_back(std::move(e));
  });
  return out;
}

std::vector<MountEntry> parseMountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  forEachLine(text, [&](std::string_view line) {
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS"; the
    // optional fields (shared:N, master:N, ...) vary in number (proc(5)).
    std::vector<std::string_view> f = split(line, ' ');
    auto sep = std::find(f.begin(), f.end(), std::string_view("-"));
    if (sep - f.begin() < 6 || f.end() - sep < 2) return;
    auto id = toUnsigned(f[0]);
    if (!id) return;
    MountEntry m;
    m.mount_id = *id;
    m.root = unescapeMountPath(f[3]);
    m.mount_point = unescapeMountPath(f[4]);
    m.fstype = unescapeMountPath(sep[1]);
    if (f.end() - sep >= 4)
      for (std::string_view o : split(sep[3], ',')) m.super_options.emplace_back(o);
    out.push_back(std::move(m));
  });
  return out;
}

std::optional<std::string> cgroupDirUnder(const MountEntry& mount, std::string_view path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  // A path with ".." lies outside our cgroup namespace (the process was moved after the
  // namespace was created; cgroup_namespaces(7)) and cannot be reached through this mount.
  for (std::string_view c : split(path, '/'))
    if (c == "..") return std::nullopt;
  std::string_view root = mount.root;
  std::string_view rel;
  if (root == "/") {
    rel = path;
  } else if (path == root) {
    rel = "/";
  } else if (path.size() > root.size() && path.substr(0, root.size()) == root &&
             path[root.size()] == '/') {
    rel = path.substr(root.size());
  } else {
    return std::nullopt;
  }
  std::string dir = mount.mount_point;
  if (rel == "/") return dir;
  if (!dir.empty() && dir.back() == '/') dir.pop_back();
  dir += rel;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

CgroupDirs resolveCgroupDirs(std::string_view proc_cgroup, std::string_view mountinfo) {
  std::vector<CgroupEntry> cgroups = parseProcSelfCgroup(proc_cgroup);
  std::vector<MountEntry> mounts = parseMountinfo(mountinfo);
  CgroupDirs dirs;
  for (const CgroupEntry& c : cgroups) {
    bool unified = c.hierarchy_id == 0 && c.controllers.empty();
    bool v1_memory = !unified && contains(c.controllers, "memory");
    if (!unified && !v1_memory) continue;
    std::optional<std::string>& slot = unified ? dirs.v2 : dirs.v1_memory;
    for (const MountEntry& m : mounts) {
      if (slot) break;
      if (unified && m.fstype != "cgroup2") continue;
      if (v1_memory && (m.fstype != "cgroup" || !contains(m.super_options, "memory"))) continue;
      slot = cgroupDirUnder(m, c.path);
    }
  }
  return dirs;
}

bool controllersInclude(std::string_view controllers_text, std::string_view controller) {
  for (std::string_view line : split(controllers_text, '\n'))
    for (std::string_view word : split(line, ' '))
      if (word == controller) return true;
  return false;
}

Result<SourceChoice> chooseSource(MemSourceKind requested,
                                  const std::optional<std::string>& cgroup_root,
                                  pid_t procfs_root) {
  SourceChoice choice;
  if (procfs_root == 0) procfs_root = ::getpid();
  if (requested == MemSourceKind::Procfs) {
    auto s = probe<ProcfsSource>(procfs_root);
    if (!s) return s.error();
    choice.source = std::move(*s);
    return choice;
  }
  if (cgroup_root) {
    auto s = fakeRoot(requested, *cgroup_root);
    if (!s) return s.error();
    choice.source = std::move(*s);
    return choice;
  }

  auto proc_cgroup = readFileAt(AT_FDCWD, "/proc/self/cgroup");
  auto mountinfo = readFileAt(AT_FDCWD, "/proc/self/mountinfo");
  CgroupDirs dirs;
  if (proc_cgroup && mountinfo)
    dirs = resolveCgroupDirs(*proc_cgroup, *mountinfo);
  else
    choice.skipped.push_back((proc_cgroup ? mountinfo : proc_cgroup).error().what);

  for (MemSourceKind kind : {MemSourceKind::Cgroup2, MemSourceKind::Cgroup1}) {
    if (requested != MemSourceKind::Auto && requested != kind) continue;
    auto s = discovered(kind, dirs);
    if (s) {
      choice.source = std::move(*s);
      return choice;
    }
    if (requested == kind) return s.error();
    choice.skipped.push_back(s.error().what);
  }
  auto s = probe<ProcfsSource>(procfs_root);
  if (!s) {
    std::string why = s.error().what;
    for (const std::string& reason : choice.skipped) why += "; " + reason;
    return Error{s.error().err, why};
  }
  choice.source = std::move(*s);
  return choice;
}

Result<std::unique_ptr<MemorySource>> selectSource(MemSourceKind requested,
                                                   const std::optional<std::string>& cgroup_root,
                                                   pid_t procfs_root) {
  auto choice = chooseSource(requested, cgroup_root, procfs_root);
  if (!choice) return choice.error();
  return std::move(choice->source);
}

}  // namespace vigil
