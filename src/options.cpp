// SPDX-License-Identifier: Apache-2.0
// The option table and the functions that apply one option value to a Config.
#include "options.h"

#include <array>
#include <cctype>

namespace vigil {
namespace {

Result<void> setTarget(SignalTarget& out, std::string_view v) {
  if (v == "child")
    out = SignalTarget::Child;
  else if (v == "group")
    out = SignalTarget::Group;
  else if (v == "all")
    out = SignalTarget::All;
  else
    return makeError("'" + std::string(v) + "' is not valid (expected child, group or all)");
  return ok();
}

Result<void> setFlag(bool& out, std::string_view v) {
  auto b = parseBool(v);
  if (!b) return b.error();
  out = *b;
  return ok();
}

Result<void> setCount(int& out, std::string_view v) {
  // A count may also arrive as a boolean from the environment or JSON ("true" = 1).
  if (auto n = parseUnsigned(v, 9)) {
    out = static_cast<int>(*n);
    return ok();
  }
  auto b = parseBool(v);
  if (!b) return makeError("'" + std::string(v) + "' is not valid (expected a count 0-9)");
  out = *b ? 1 : 0;
  return ok();
}

Result<void> setDuration(Millis& out, std::string_view v) {
  auto d = parseDuration(v);
  if (!d) return d.error();
  out = *d;
  return ok();
}

Result<void> setLimit(std::optional<LimitSpec>& out, std::string_view v) {
  auto l = parseLimit(v);
  if (!l) return l.error();
  out = *l;
  return ok();
}

Result<void> setTargetName(SignalTarget& out, std::string_view v) { return setTarget(out, v); }

Result<void> applyAction(Config& c, Action a) {
  if (c.action == Action::Run) c.action = a;
  return ok();
}

constexpr std::array kOptions{
    OptionSpec{"help", 'h', OptionKind::Action, "", "show this help and exit",
               [](Config& c, std::string_view) { return applyAction(c, Action::Help); }, false},
    OptionSpec{"version", 0, OptionKind::Action, "", "print the version and exit",
               [](Config& c, std::string_view) { return applyAction(c, Action::Version); },
               false},
    OptionSpec{"license", 0, OptionKind::Action, "", "print the licence and exit",
               [](Config& c, std::string_view) { return applyAction(c, Action::License); },
               false},
    OptionSpec{"health", 0, OptionKind::Action, "",
               "take one memory sample, print it, exit 0 (below the soft limit), 1 (at or over) "
               "or 2 (cannot measure); for Docker HEALTHCHECK",
               [](Config& c, std::string_view) { return applyAction(c, Action::Health); },
               false},
    OptionSpec{"compat", 0, OptionKind::Value, "tini|dumb-init",
               "behave as tini or dumb-init, with their options (must be the first argument; "
               "also selected by the name vigil is invoked as)",
               [](Config&, std::string_view v) -> Result<void> {
                 // Applied before parsing (config.cpp); here only validated.
                 if (!parseCompatName(v))
                   return makeError("'" + std::string(v) + "' is not valid (expected tini or dumb-init)");
                 return ok();
               }},
    OptionSpec{"config", 0, OptionKind::Value, "FILE",
               "read options from a JSON file (keys are long option names)",
               [](Config& c, std::string_view v) -> Result<void> {
                 if (v.empty()) return makeError("needs a file name");
                 c.config_file = std::string(v);
                 return ok();
               }},
    OptionSpec{"signal-target", 0, OptionKind::Value, "child|group|all",
               "who gets forwarded signals (default child)",
               [](Config& c, std::string_view v) { return setTarget(c.signal_target, v); }},
    OptionSpec{"group", 'g', OptionKind::Flag, "", "same as --signal-target group",
               [](Config& c, std::string_view v) { return setFlag(c.group_flag, v); }},
    OptionSpec{"subreaper", 's', OptionKind::Flag, "",
               "accepted; vigil is a child subreaper by itself when not PID 1",
               [](Config& c, std::string_view v) { return setFlag(c.subreaper, v); }},
    OptionSpec{"pdeathsig", 'p', OptionKind::Value, "SIG",
               "signal vigil gets when its parent dies (then forwarded as any other)",
               [](Config& c, std::string_view v) -> Result<void> {
                 auto s = parseSignal(v);
                 if (!s) return s.error();
                 c.pdeathsig = *s;
                 return ok();
               }},
    OptionSpec{"rewrite", 'r', OptionKind::List, "FROM:TO",
               "forward signal FROM as TO (TO 0 drops it); repeatable",
               [](Config& c, std::string_view v) -> Result<void> {
                 auto r = parseRewrite(v);
                 if (!r) return r.error();
                 c.rewrite[static_cast<size_t>(r->from)] = r->to == 0 ? -1 : r->to;
                 return ok();
               }},
    OptionSpec{"delay", 0, OptionKind::List, "SIG:DUR",
               "hold a received SIG for DUR before forwarding it; repeatable",
               [](Config& c, std::string_view v) -> Result<void> {
                 auto d = parseDelay(v);
                 if (!d) return d.error();
                 c.delay[static_cast<size_t>(d->signo)] = d->delay;
                 return ok();
               }},
    OptionSpec{"remap-exit", 'e', OptionKind::List, "CODE",
               "the child's exit code CODE becomes 0; repeatable",
               [](Config& c, std::string_view v) -> Result<void> {
                 auto n = parseExitCode(v);
                 if (!n) return n.error();
                 c.remap_exit.set(static_cast<size_t>(*n));
                 return ok();
               }},
    OptionSpec{"cleanup-grace", 0, OptionKind::Value, "DUR",
               "when the child exits: SIGTERM the other descendants, SIGKILL after DUR "
               "(default 5s)",
               [](Config& c, std::string_view v) { return setDuration(c.cleanup_grace, v); }},
    OptionSpec{"wait-all", 0, OptionKind::Flag, "",
               "exit when no descendant is left, not when the child exits",
               [](Config& c, std::string_view v) { return setFlag(c.wait_all, v); }},
    OptionSpec{"verbose", 'v', OptionKind::Count, "", "more diagnostics (repeatable)",
               [](Config& c, std::string_view v) { return setCount(c.verbose, v); }},
    OptionSpec{"quiet", 'q', OptionKind::Count, "", "fewer diagnostics (repeatable)",
               [](Config& c, std::string_view v) { return setCount(c.quiet, v); }},
    OptionSpec{"warn-reap", 'w', OptionKind::Flag, "",
               "warn when a zombie other than the child is reaped",
               [](Config& c, std::string_view v) { return setFlag(c.warn_reap, v); }},
    OptionSpec{"log-format", 0, OptionKind::Value, "text|json",
               "diagnostics and events as text or JSON Lines (default text)",
               [](Config& c, std::string_view v) -> Result<void> {
                 if (v == "text")
                   c.log_format = LogFormat::Text;
                 else if (v == "json")
                   c.log_format = LogFormat::Json;
                 else
                   return makeError("'" + std::string(v) + "' is not valid (expected text or json)");
                 return ok();
               }},
    OptionSpec{"user", 'u', OptionKind::Value, "USER[:GROUP]",
               "run the program as USER (name or number), groups from /etc/group",
               [](Config& c, std::string_view v) -> Result<void> {
                 if (v.empty()) return makeError("needs a user name or number");
                 c.privs.user = std::string(v);
                 return ok();
               }},
    OptionSpec{"keep-caps", 0, OptionKind::Value, "CAPS",
               "capabilities the program keeps (e.g. net_bind_service,chown); all others are "
               "dropped, bounding set included",
               [](Config& c, std::string_view v) -> Result<void> {
                 if (auto caps = parseCapList(v); !caps) return caps.error();
                 c.privs.keep_caps = std::string(v);
                 return ok();
               }},
    OptionSpec{"no-new-privs", 0, OptionKind::Flag, "",
               "set PR_SET_NO_NEW_PRIVS for the program (setuid binaries gain nothing)",
               [](Config& c, std::string_view v) { return setFlag(c.privs.no_new_privs, v); }},
    OptionSpec{"mem-limit", 'm', OptionKind::Value, "LIMIT",
               "soft limit: act when usage stays at or above it for --mem-sustain "
               "(512Mi, 1.5G, 90%, max-256M)",
               [](Config& c, std::string_view v) { return setLimit(c.mem.soft, v); }},
    OptionSpec{"mem-hard-limit", 0, OptionKind::Value, "LIMIT",
               "hard limit: act at once; during the grace period, SIGKILL at once",
               [](Config& c, std::string_view v) { return setLimit(c.mem.hard, v); }},
    OptionSpec{"mem-metric", 0, OptionKind::Value, "workingset|current|anon|rss",
               "what usage means (default workingset: current - inactive_file)",
               [](Config& c, std::string_view v) -> Result<void> {
                 auto m = parseMemMetric(v);
                 if (!m) return m.error();
                 c.mem.metric = *m;
                 return ok();
               }},
    OptionSpec{"mem-source", 0, OptionKind::Value, "auto|cgroup2|cgroup1|procfs",
               "where usage is read (default auto: cgroup2, cgroup1, then procfs)",
               [](Config& c, std::string_view v) -> Result<void> {
                 auto k = parseMemSourceKind(v);
                 if (!k) return k.error();
                 c.mem.source = *k;
                 return ok();
               }},
    OptionSpec{"mem-interval", 0, OptionKind::Value, "DUR",
               "longest time between two samples, 10ms..60s (default 1s)",
               [](Config& c, std::string_view v) -> Result<void> {
                 auto d = parseDuration(v);
                 if (!d) return d.error();
                 if (*d < Millis(10) || *d > Millis(60000))
                   return makeError("'" + std::string(v) + "' is out of range (10ms..60s)");
                 c.mem.interval = *d;
                 return ok();
               }},
    OptionSpec{"mem-sustain", 0, OptionKind::Value, "DUR",
               "how long every sample must stay over the soft limit (default 5s)",
               [](Config& c, std::string_view v) { return setDuration(c.mem.sustain, v); }},
    OptionSpec{"mem-signal", 0, OptionKind::Value, "SIG", "the graceful signal (default SIGTERM)",
               [](Config& c, std::string_view v) -> Result<void> {
                 auto s = parseSignal(v);
                 if (!s) return s.error();
                 c.mem.signal = *s;
                 return ok();
               }},
    OptionSpec{"mem-target", 0, OptionKind::Value, "child|group|all",
               "who gets the graceful signal (default child)",
               [](Config& c, std::string_view v) { return setTargetName(c.mem.target, v); }},
    OptionSpec{"mem-grace", 0, OptionKind::Value, "DUR",
               "time between the graceful signal and SIGKILL (default 30s)",
               [](Config& c, std::string_view v) { return setDuration(c.mem.grace, v); }},
    OptionSpec{"mem-exit-code", 0, OptionKind::Value, "N|child",
               "vigil's exit code after a memory action, 1-255 or the child's (default 137)",
               [](Config& c, std::string_view v) -> Result<void> {
                 if (v == "child") {
                   c.mem.exit_code.reset();
                   return ok();
                 }
                 auto n = parseExitCode(v);
                 if (!n || *n == 0)
                   return makeError("'" + std::string(v) + "' is not valid (expected 1-255 or child)");
                 c.mem.exit_code = *n;
                 return ok();
               }},
    OptionSpec{"termination-log", 0, OptionKind::Value, "PATH",
               "where the reason for a memory action is written (default /dev/termination-log "
               "if it exists)",
               [](Config& c, std::string_view v) -> Result<void> {
                 if (v.empty()) return makeError("needs a path");
                 c.mem.termination_log = std::string(v);
                 return ok();
               }},
    OptionSpec{"cgroup-root", 0, OptionKind::Value, "DIR",
               "test only: read memory from this cgroup directory",
               [](Config& c, std::string_view v) -> Result<void> {
                 if (v.empty()) return makeError("needs a directory");
                 c.mem.cgroup_root = std::string(v);
                 return ok();
               },
               true, true},
    OptionSpec{"mem-adaptive", 0, OptionKind::Flag, "",
               "benchmark only: false samples at exactly --mem-interval",
               [](Config& c, std::string_view v) { return setFlag(c.mem.adaptive, v); }, true,
               true},
};

}  // namespace

std::span<const OptionSpec> optionTable() { return kOptions; }

LongArg splitLongArg(std::string_view after_dashes) {
  LongArg a;
  auto eq = after_dashes.find('=');
  a.name = std::string(after_dashes.substr(0, eq));
  if (eq != std::string_view::npos) {
    a.value = std::string(after_dashes.substr(eq + 1));
    a.has_value = true;
  }
  return a;
}

std::string envName(std::string_view option_name) {
  std::string out = "VIGIL_";
  for (char ch : option_name)
    out += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace vigil
