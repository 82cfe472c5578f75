// SPDX-License-Identifier: Apache-2.0
// `vigil --health`: one memory sample against the configured limits, for Docker HEALTHCHECK.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config.h"

namespace vigil {

/// The verdict of one health sample.
struct HealthResult {
  uint64_t usage = 0;
  std::optional<uint64_t> limit;  ///< the soft limit (else the hard one) it is compared with
  std::string metric;
  std::string source;
  bool over = false;
};

/// The line printed: "ok 412MiB of 1.5GiB (workingset)", or a JSON object.
std::string formatHealth(const HealthResult& r, LogFormat format);

/// Runs the check: prints one line on stdout; returns 0 (below the limit), 1 (at or over),
/// or 2 (cannot measure; the reason goes to stderr).
int runHealth(const Config& cfg);

}  // namespace vigil
