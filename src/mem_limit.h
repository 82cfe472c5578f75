// SPDX-License-Identifier: Apache-2.0
// Memory sizes and limits as users write them: "1.5G", "90%", "max-256M"; resolution against the
// cgroup's own limit, and human formatting ("412MiB").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace vigil {

/// Parses a size with a 1024-based unit, case-insensitive: B; K, KB, Ki, KiB; M...; G...; T...;
/// P...; E.... A decimal fraction is allowed with K and above ("1.5G", rounded down to bytes).
/// Bare numbers are rejected; values above 2^64-1 are rejected.
Result<uint64_t> parseSize(std::string_view text);

/// A memory limit as written: an absolute size, a share of the cgroup limit, or headroom below it.
struct LimitSpec {
  enum class Kind { Absolute, Percent, Headroom };
  Kind kind = Kind::Absolute;
  uint64_t bytes = 0;         ///< Absolute: the limit; Headroom: the distance below the limit
  uint32_t basis_points = 0;  ///< Percent: hundredths of a percent (90% is 9000)
};

/// Parses "1.5G" (absolute, > 0), "90%" or "92.5%" (0 < p <= 100, up to two decimals), or
/// "max-256M" (headroom below the cgroup limit).
Result<LimitSpec> parseLimit(std::string_view text);

/// The limit in bytes. Percent and Headroom need `cgroup_max`; without one that is an error
/// ("needs a visible memory limit"), never a fall-back to host RAM.
Result<uint64_t> resolveLimit(const LimitSpec& spec, std::optional<uint64_t> cgroup_max);

/// The spec as parseLimit reads it: "1.5GiB", "90%", "max-256MiB".
std::string formatLimitSpec(const LimitSpec& spec);

/// Human size with a binary unit, at most one decimal: "512B", "412MiB", "1.5GiB", "2GiB".
std::string formatBytes(uint64_t bytes);

}  // namespace vigil
