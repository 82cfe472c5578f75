// SPDX-License-Identifier: Apache-2.0
// Config: what vigil was asked to do, merged from the command line, VIGIL_* variables and an
// optional JSON file (in that order of precedence). Pure: file access is injected.
#pragma once

#include <array>
#include <bitset>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compat.h"
#include "event_log.h"
#include "mem_limit.h"
#include "memory_source.h"
#include "privs.h"
#include "result.h"
#include "values.h"

namespace vigil {

/// Who receives a forwarded (or graceful) signal.
enum class SignalTarget { Child, Group, All };

/// What this invocation does.
enum class Action { Run, Health, Help, Version, License };

/// Number of signal slots (1..64 on Linux; index 0 unused).
inline constexpr int kMaxSignal = 65;

/// The memory watcher's options (SPEC §1, memory policing). Off unless a limit is given.
struct MemoryOptions {
  std::optional<LimitSpec> soft;  ///< --mem-limit
  std::optional<LimitSpec> hard;  ///< --mem-hard-limit
  MemMetric metric = MemMetric::WorkingSet;
  MemSourceKind source = MemSourceKind::Auto;
  Millis interval{1000};
  Millis sustain{5000};
  int signal = 15;  ///< SIGTERM
  SignalTarget target = SignalTarget::Child;
  Millis grace{30000};
  std::optional<int> exit_code = 137;  ///< nullopt: the child's own code (never 0)
  std::optional<std::string> termination_log;
  std::optional<std::string> cgroup_root;  ///< test-only: a fake cgroup directory
  std::string soft_origin = "--mem-limit";       ///< where the soft limit was set, for errors
  std::string hard_origin = "--mem-hard-limit";  ///< where the hard limit was set, for errors
  bool adaptive = true;  ///< benchmark-only switch: false samples every `interval` exactly

  bool enabled() const { return soft || hard; }
};

/// Everything vigil was asked to do, with defaults applied.
struct Config {
  Action action = Action::Run;
  std::vector<std::string> command;  ///< PROGRAM and its arguments

  SignalTarget signal_target = SignalTarget::Child;
  bool group_flag = false;  ///< -g was given (an alias of --signal-target group)
  bool subreaper = false;   ///< -s: accepted; vigil decides by itself
  int pdeathsig = 0;
  std::array<int, kMaxSignal> rewrite{};  ///< 0 = unchanged; -1 = drop; else the new signal
  std::array<Millis, kMaxSignal> delay{};
  std::bitset<256> remap_exit;
  Millis cleanup_grace{5000};
  bool wait_all = false;
  int verbose = 0;
  int quiet = 0;
  bool warn_reap = false;
  LogFormat log_format = LogFormat::Text;
  std::optional<std::string> config_file;
  MemoryOptions mem;
  PrivOptions privs;
  Compat compat = Compat::None;  ///< tini or dumb-init behaviour (argv[0], --compat)
  bool setsid = false;           ///< dumb-init: the child leads a new session with the terminal

  /// The signal to forward for a received `signo`: itself, its rewrite, or 0 when dropped.
  int rewritten(int signo) const;
};

/// The inputs of parsing: argv after the program name, the environment, and a file reader.
struct ConfigInput {
  std::string argv0;  ///< the name vigil was invoked as; its basename may select a compat mode
  std::vector<std::string> args;
  std::vector<std::string> env;  ///< "NAME=value" entries
  std::function<Result<std::string>(const std::string& path)> read_file;
};

/// Parses and validates the whole configuration. The error is one line without the "vigil: "
/// prefix, naming the option, the value and what would be valid. Its `err` is 0, or
/// kCompatUsageExit for a usage error in a compat mode (tini and dumb-init exit 1 for those).
Result<Config> parseConfig(const ConfigInput& input);

/// The compat mode an invocation selects, before any parsing: `--compat MODE` as the first
/// argument, else VIGIL_COMPAT, else the name vigil was invoked as. Used to pick the prefix and
/// exit status of errors.
Compat selectedCompat(const ConfigInput& input);

/// The --help text, generated from the option table.
std::string helpText();

}  // namespace vigil
