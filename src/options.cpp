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
};

}  // namespace

std::span<const OptionSpec> optionTable() { return kOptions; }

std::string envName(std::string_view option_name) {
  std::string out = "VIGIL_";
  for (char ch : option_name)
    out += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace vigil
