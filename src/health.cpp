// SPDX-License-Identifier: Apache-2.0
// The health check. It reads the same options as the init, so one VIGIL_MEM_LIMIT serves both.
#include "health.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "fd.h"
#include "memory_watcher.h"

namespace vigil {

std::string formatHealth(const HealthResult& r, LogFormat format) {
  if (format == LogFormat::Json) {
    nlohmann::ordered_json j{{"status", r.over ? "over" : "ok"},
                             {"usage_bytes", r.usage},
                             {"limit_bytes", r.limit ? nlohmann::ordered_json(*r.limit)
                                                     : nlohmann::ordered_json()},
                             {"metric", r.metric},
                             {"source", r.source}};
    return j.dump() + "\n";
  }
  std::string line = std::string(r.over ? "over " : "ok ") + formatBytes(r.usage);
  if (r.limit) line += " of " + formatBytes(*r.limit);
  line += " (" + r.metric + (r.limit ? "" : ", no limit set") + ")\n";
  return line;
}

int runHealth(const Config& cfg) {
  // With procfs the health check runs beside the init, not under it: it sums the descendants of
  // PID 1, which is the whole container when vigil is PID 1.
  auto fail = [&](const std::string& what) {
    // One line either way: a JSON object on stdout, or the usual diagnostic on stderr.
    if (cfg.log_format == LogFormat::Json)
      (void)writeAll(STDOUT_FILENO,
                     nlohmann::ordered_json{{"status", "error"}, {"error", what}}.dump(
                         -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
                         "\n");
    else
      (void)writeAll(STDERR_FILENO, "vigil: " + what + "\n");
    return 2;
  };
  auto armed = armMemory(cfg.mem, 1);
  if (!armed) return fail(armed.error().what);
  auto s = armed->source->sample(cfg.mem.metric);
  if (!s) return fail("--health: " + s.error().what);
  HealthResult r;
  r.usage = s->usage;
  r.limit = armed->soft ? armed->soft : armed->hard;
  r.metric = std::string(metricName(cfg.mem.metric));
  r.source = std::string(armed->source->name());
  r.over = r.limit && r.usage >= *r.limit;
  (void)writeAll(STDOUT_FILENO, formatHealth(r, cfg.log_format));
  return r.over ? 1 : 0;
}

}  // namespace vigil
