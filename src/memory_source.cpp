// SPDX-License-Identifier: Apache-2.0
// The cgroup v2, cgroup v1 and procfs memory sources. Files are opened relative to a directory
// descriptor (openat) so that tests can point a source at a fake tree.
#include "memory_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "process_tree.h"

namespace vigil {
namespace {

Error inContext(const std::string& context, const Error& e) {
  return Error{e.err, context + ": " + e.what};
}

std::string fileError(const char* file, const Error& e) {
  return std::string(file) + ": " + e.what;
}

uint64_t pageSize() {
  static const uint64_t size = [] {
    long v = ::sysconf(_SC_PAGESIZE);
    return v > 0 ? static_cast<uint64_t>(v) : uint64_t{4096};
  }();
  return size;
}

std::optional<uint64_t> minLimit(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// Reads a cgroup file and parses it with `parse`, naming the file in any error.
template <typename T, typename Parse>
Result<T> readParsed(const Result<std::string>& text, const char* file, Parse parse) {
  if (!text) return text.error();
  auto v = parse(std::string_view(*text));
  if (!v) return makeError(fileError(file, v.error()));
  return *v;
}

}  // namespace

std::string_view metricName(MemMetric metric) {
  switch (metric) {
    case MemMetric::WorkingSet:
      return "workingset";
    case MemMetric::Current:
      return "current";
    case MemMetric::Anon:
      return "anon";
    case MemMetric::Rss:
      return "rss";
  }
  return "?";
}

std::string_view sourceKindName(MemSourceKind kind) {
  switch (kind) {
    case MemSourceKind::Auto:
      return "auto";
    case MemSourceKind::Cgroup2:
      return "cgroup2";
    case MemSourceKind::Cgroup1:
      return "cgroup1";
    case MemSourceKind::Procfs:
      return "procfs";
  }
  return "?";
}

Result<MemMetric> parseMemMetric(std::string_view text) {
  for (MemMetric m : {MemMetric::WorkingSet, MemMetric::Current, MemMetric::Anon, MemMetric::Rss})
    if (text == metricName(m)) return m;
  return makeError("unknown metric '" + std::string(text) +
                   "' (valid: workingset, current, anon, rss)");
}

Result<MemSourceKind> parseMemSourceKind(std::string_view text) {
  for (MemSourceKind k :
       {MemSourceKind::Auto, MemSourceKind::Cgroup2, MemSourceKind::Cgroup1, MemSourceKind::Procfs})
    if (text == sourceKindName(k)) return k;
  return makeError("unknown memory source '" + std::string(text) +
                   "' (valid: auto, cgroup2, cgroup1, procfs)");
}

uint64_t metricValue(const MemorySample& s, MemMetric metric) {
  switch (metric) {
    case MemMetric::WorkingSet:
      // As kubelet/cAdvisor: inactive page cache is reclaimed before the OOM killer runs.
      return s.current > s.inactive_file ? s.current - s.inactive_file : 0;
    case MemMetric::Current:
      return s.current;
    case MemMetric::Anon:
      return s.anon;
    case MemMetric::Rss:
      return s.anon + s.file_mapped;
  }
  return s.current;
}

// ---- cgroup v2 ----

Cgroup2Source::Cgroup2Source(UniqueFd dirfd, std::string path)
    : dir_(std::move(dirfd)), path_(std::move(path)) {}

std::string Cgroup2Source::location() const {
  return path_.empty() ? "/proc/self/fd/" + std::to_string(dir_.get()) : path_;
}

std::optional<std::string> Cgroup2Source::eventsPath() const {
  // kernfs raises IN_MODIFY on memory.events whenever one of its counters changes
  // (Documentation/admin-guide/cgroup-v2.rst, "memory.events").
  return location() + "/memory.events";
}

Result<std::string> Cgroup2Source::read(const char* file) const {
  return readKernelFileAt(dir_.get(), file);
}

Result<std::optional<uint64_t>> Cgroup2Source::limit() {
  auto own =
      readParsed<std::optional<uint64_t>>(read("memory.max"), "memory.max", parseCgroupLimit);
  if (!own) return inContext("cgroup2 " + location(), own.error());
  // An ancestor's memory.max caps us too. The walk stops where memory.max does not exist: the
  // root cgroup (or a cgroup namespace's view of its parent) has none.
  std::optional<uint64_t> limit = *own;
  std::string rel = "../memory.max";
  for (int depth = 0; depth < 32; ++depth, rel.insert(0, "../")) {
    auto text = readFileAt(dir_.get(), rel, 4096);
    if (!text) break;
    auto v = parseCgroupLimit(*text);
    if (!v) break;
    limit = minLimit(limit, *v);
  }
  return limit;
}

Result<MemorySample> Cgroup2Source::sample(MemMetric metric) {
  const std::string context = "cgroup2 " + location();
  MemorySample s;
  auto current = readParsed<uint64_t>(read("memory.current"), "memory.current", parseCgroupValue);
  if (!current) return inContext(context, current.error());
  s.current = *current;

  auto stat_text = read("memory.stat");
  if (!stat_text) return inContext(context, stat_text.error());
  KeyValues stat = parseKeyValues(*stat_text, {"anon", "inactive_file", "file_mapped"});
  for (auto [key, field] :
       {std::pair{"anon", &s.anon}, std::pair{"inactive_file", &s.inactive_file},
        std::pair{"file_mapped", &s.file_mapped}}) {
    auto v = requireKey(stat, key);
    // file_mapped only matters for the rss metric; older kernels may lack it.
    if (!v && !(field == &s.file_mapped && metric != MemMetric::Rss))
      return inContext(context, makeError(fileError("memory.stat", v.error())));
    *field = v.valueOr(0);
  }

  auto events_text = read("memory.events");
  if (!events_text) return inContext(context, events_text.error());
  // oom_kill appeared in 4.13; without it no kernel OOM kill can be reported. But text with no
  // "key value" line at all is garbage, not zero kills: reading it as 0 would later turn the
  // real count into phantom new kills.
  auto events = parseKeyValues(*events_text, {"low", "high", "max", "oom", "oom_kill"});
  // The kernel always writes several counters; a file with none of them (empty, truncated,
  // garbage) is unreadable, not zero kills: reading it as 0 would later turn the real count
  // into phantom new kills. (oom_kill itself appeared in 4.13: without it, zero is right.)
  if (events.empty())
    return inContext(context, makeError("memory.events: no counter (empty, or not a "
                                        "memory.events file)"));
  s.oom_kill = valueOr(events, "oom_kill", 0);

  // memory.max of this cgroup and every ancestor is one open per level: re-read only every
  // kLimitEvery samples (a limit changes by `docker update`, not by the second), and on every
  // sample while it cannot be read, so that a broken limit stays one fault, not one a minute.
  if (limit_failed_ || samples_++ % kLimitEvery == 0) {
    auto lim = limit();
    limit_failed_ = !lim;
    if (!lim) return lim.error();
    cached_limit_ = *lim;
  }
  s.limit = cached_limit_;
  s.usage = metricValue(s, metric);
  return s;
}

// ---- cgroup v1 ----

Cgroup1Source::Cgroup1Source(UniqueFd dirfd, std::string path)
    : dir_(std::move(dirfd)), path_(std::move(path)) {}

std::string Cgroup1Source::location() const {
  return path_.empty() ? "/proc/self/fd/" + std::to_string(dir_.get()) : path_;
}

Result<std::string> Cgroup1Source::read(const char* file) const {
  return readKernelFileAt(dir_.get(), file);
}

Result<std::optional<uint64_t>> Cgroup1Source::limitFrom(const KeyValues& stat) const {
  auto own = readParsed<std::optional<uint64_t>>(read("memory.limit_in_bytes"),
                                                 "memory.limit_in_bytes", parseCgroupLimit);
  if (!own) return own.error();
  // hierarchical_memory_limit is the smallest limit on the path to the root (with
  // use_hierarchy=1), i.e. the one the OOM killer enforces; a parent may be tighter than us.
  std::optional<uint64_t> limit = *own;
  if (auto it = stat.find("hierarchical_memory_limit");
      it != stat.end() && it->second < kUnlimitedThreshold)
    limit = minLimit(limit, it->second);
  return limit;
}

Result<std::optional<uint64_t>> Cgroup1Source::limit() {
  const std::string context = "cgroup1 " + location();
  auto stat_text = read("memory.stat");
  if (!stat_text) return inContext(context, stat_text.error());
  auto lim = limitFrom(parseKeyValues(*stat_text));
  if (!lim) return inContext(context, lim.error());
  return lim;
}

Result<MemorySample> Cgroup1Source::sample(MemMetric metric) {
  const std::string context = "cgroup1 " + location();
  MemorySample s;
  auto usage = readParsed<uint64_t>(read("memory.usage_in_bytes"), "memory.usage_in_bytes",
                                    parseCgroupValue);
  if (!usage) return inContext(context, usage.error());
  s.current = *usage;

  auto stat_text = read("memory.stat");
  if (!stat_text) return inContext(context, stat_text.error());
  KeyValues stat = parseKeyValues(*stat_text, {"total_rss", "total_inactive_file",
                                               "total_mapped_file", "hierarchical_memory_limit"});
  // total_* are the hierarchical sums (this cgroup and its children). total_rss counts
  // anonymous memory including transparent huge pages (total_rss_huge is a subset of it), so it
  // is the v1 equivalent of v2's "anon" (cgroup-v1/memory.rst, section 5.2).
  for (auto [key, field] :
       {std::pair{"total_rss", &s.anon}, std::pair{"total_inactive_file", &s.inactive_file},
        std::pair{"total_mapped_file", &s.file_mapped}}) {
    auto v = requireKey(stat, key);
    if (!v && !(field == &s.file_mapped && metric != MemMetric::Rss))
      return inContext(context, makeError(fileError("memory.stat", v.error())));
    *field = v.valueOr(0);
  }

  auto oom =
      readParsed<uint64_t>(read("memory.oom_control"), "memory.oom_control", parseOomControl);
  if (!oom) return inContext(context, oom.error());
  s.oom_kill = *oom;

  auto lim = limitFrom(stat);
  if (!lim) return inContext(context, lim.error());
  s.limit = *lim;
  s.usage = metricValue(s, metric);
  return s;
}

// ---- procfs ----

ProcfsSource::ProcfsSource(pid_t root_pid, std::string proc_root)
    : root_(root_pid), proc_root_(std::move(proc_root)) {}

Result<MemorySample> ProcfsSource::sample(MemMetric metric) {
  // listDescendants() skips what it cannot read (processes come and go), so check once that
  // the proc root itself is there: an empty sum must mean "no descendants", not "no /proc".
  UniqueFd dir(::open(proc_root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return inContext("procfs", systemError("open " + proc_root_));
  // An empty directory (a tmpfs over /proc) opens as well: vigil's own entry must be there.
  if (::faccessat(dir.get(), (std::to_string(root_) + "/stat").c_str(), R_OK, 0) != 0)
    return inContext("procfs", systemError(proc_root_ + "/" + std::to_string(root_) +
                                           "/stat (is procfs mounted there?)"));
  uint64_t total = 0;
  for (const ProcStat& p : listDescendants(root_, proc_root_)) total += p.rss_pages * pageSize();
  // RSS is the only number procfs offers per process; every metric reads it (shared pages are
  // counted once per process that maps them, so this can exceed the cgroup's view).
  MemorySample s;
  s.current = total;
  s.anon = total;
  s.usage = total;
  (void)metric;
  return s;
}

Result<std::vector<ProcessRss>> topProcessesByRss(pid_t root, size_t n,
                                                  const std::string& proc_root) {
  if (UniqueFd dir(::open(proc_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); !dir)
    return systemError("open " + proc_root);
  std::vector<ProcStat> procs = listDescendants(root, proc_root);
  std::vector<ProcessRss> out;
  out.reserve(procs.size());
  for (ProcStat& p : procs)
    out.push_back(ProcessRss{p.pid, std::move(p.comm), p.rss_pages * pageSize()});
  std::sort(out.begin(), out.end(), [](const ProcessRss& a, const ProcessRss& b) {
    return a.rss_bytes != b.rss_bytes ? a.rss_bytes > b.rss_bytes : a.pid < b.pid;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace vigil
