// SPDX-License-Identifier: Apache-2.0
// MemorySource: where the memory watcher reads usage from (cgroup v2, cgroup v1 or the RSS sum
// of vigil's descendants in procfs), and the top RSS contributors for the termination log.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fd.h"
#include "memory_stat.h"
#include "result.h"

namespace vigil {

/// What "usage" means (--mem-metric).
enum class MemMetric { WorkingSet, Current, Anon, Rss };

/// Where usage is read from (--mem-source).
enum class MemSourceKind { Auto, Cgroup2, Cgroup1, Procfs };

/// The option spelling of a metric: "workingset", "current", "anon", "rss".
std::string_view metricName(MemMetric metric);

/// The option spelling of a source kind: "auto", "cgroup2", "cgroup1", "procfs".
std::string_view sourceKindName(MemSourceKind kind);

/// Parses a --mem-metric value.
Result<MemMetric> parseMemMetric(std::string_view text);

/// Parses a --mem-source value.
Result<MemSourceKind> parseMemSourceKind(std::string_view text);

/// One reading of a source. Fields a source cannot measure are 0; procfs puts its RSS sum in
/// `current` and `anon`, so every metric reads that sum.
struct MemorySample {
  uint64_t usage = 0;          ///< the requested metric, computed with metricValue()
  uint64_t current = 0;        ///< all charged memory: memory.current / usage_in_bytes / RSS sum
  uint64_t anon = 0;           ///< anonymous memory: stat anon / total_rss
  uint64_t inactive_file = 0;  ///< reclaimable page cache: stat inactive_file / total_inactive_file
  uint64_t file_mapped = 0;    ///< mapped page cache: stat file_mapped / total_mapped_file
  std::optional<uint64_t> limit;  ///< effective cgroup limit; nullopt when unlimited or unknown
  uint64_t oom_kill = 0;          ///< kernel OOM kills so far (memory.events / oom_control)
};

/// The value of `metric` in a sample whose other fields are filled in.
uint64_t metricValue(const MemorySample& s, MemMetric metric);

/// A place to read memory usage from. Errors name the source and the file.
class MemorySource {
 public:
  virtual ~MemorySource() = default;
  /// Reads all counters once; `usage` is set to the value of `metric`.
  virtual Result<MemorySample> sample(MemMetric metric) = 0;
  /// "cgroup2", "cgroup1" or "procfs".
  virtual std::string_view name() const = 0;
  /// Where it reads (a cgroup directory or the proc root), for the "armed" log line.
  virtual std::string location() const = 0;
  /// A file to watch with inotify (IN_MODIFY) for OOM events, if the source has one.
  virtual std::optional<std::string> eventsPath() const { return std::nullopt; }
  /// The effective memory limit (nullopt when unlimited or not visible).
  virtual Result<std::optional<uint64_t>> limit() { return std::optional<uint64_t>{}; }
};

/// cgroup v2: memory.current, memory.stat, memory.max (own and ancestors'), memory.events.
class Cgroup2Source final : public MemorySource {
 public:
  /// `dirfd` is an O_DIRECTORY descriptor of the cgroup; `path` its name, for logs and inotify.
  explicit Cgroup2Source(UniqueFd dirfd, std::string path = {});
  Result<MemorySample> sample(MemMetric metric) override;
  std::string_view name() const override { return "cgroup2"; }
  std::string location() const override;
  std::optional<std::string> eventsPath() const override;
  Result<std::optional<uint64_t>> limit() override;

 private:
  Result<std::string> read(const char* file) const;
  static constexpr unsigned kLimitEvery = 64;
  UniqueFd dir_;
  std::string path_;
  std::optional<uint64_t> cached_limit_;
  unsigned samples_ = 0;
  bool limit_failed_ = false;  ///< the last limit read failed: retry on every sample
};

/// cgroup v1 memory controller: usage_in_bytes, memory.stat, limit_in_bytes, oom_control.
class Cgroup1Source final : public MemorySource {
 public:
  /// `dirfd` is an O_DIRECTORY descriptor of the memory cgroup; `path` its name, for logs.
  explicit Cgroup1Source(UniqueFd dirfd, std::string path = {});
  Result<MemorySample> sample(MemMetric metric) override;
  std::string_view name() const override { return "cgroup1"; }
  std::string location() const override;
  Result<std::optional<uint64_t>> limit() override;

 private:
  Result<std::string> read(const char* file) const;
  Result<std::optional<uint64_t>> limitFrom(const KeyValues& stat) const;
  UniqueFd dir_;
  std::string path_;
};

/// procfs: the RSS sum of every descendant of `root_pid` (not root_pid itself).
class ProcfsSource final : public MemorySource {
 public:
  /// Watches the descendants of `root_pid` as listed under `proc_root`.
  explicit ProcfsSource(pid_t root_pid, std::string proc_root = "/proc");
  Result<MemorySample> sample(MemMetric metric) override;
  std::string_view name() const override { return "procfs"; }
  std::string location() const override { return proc_root_; }

 private:
  pid_t root_;
  std::string proc_root_;
};

/// One process of the termination log's "top contributors".
struct ProcessRss {
  pid_t pid = 0;
  std::string comm;
  uint64_t rss_bytes = 0;
};

/// The `n` descendants of `root` with the largest RSS, largest first.
Result<std::vector<ProcessRss>> topProcessesByRss(pid_t root, size_t n,
                                                  const std::string& proc_root = "/proc");

}  // namespace vigil
