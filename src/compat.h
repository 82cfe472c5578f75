// SPDX-License-Identifier: Apache-2.0
// Compatibility modes: under the name tini (tini-static, docker-init) or dumb-init, or with
// --compat, vigil reads that program's options and variables and behaves as it does. The
// parsers here are pure: they turn the command line and environment into settings of vigil's
// own options, which config.cpp merges with the VIGIL_* variables as usual.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace vigil {

/// Which program vigil stands in for.
enum class Compat { None, Tini, DumbInit };

/// "tini", "dumb-init", or "vigil".
const char* compatName(Compat mode);

/// The mode selected by the name vigil was invoked as: the basename of argv[0] is tini,
/// tini-static or docker-init (tini), or dumb-init.
Compat compatFromProgramName(std::string_view argv0);

/// Parses the value of --compat / VIGIL_COMPAT: "tini" or "dumb-init".
std::optional<Compat> parseCompatName(std::string_view value);

/// Exit status for a usage error in a compat mode: tini and dumb-init both exit 1, and
/// scripts written for them may test for it.
inline constexpr int kCompatUsageExit = 1;

/// One setting of a native option, from a compat option or variable.
struct CompatSetting {
  std::string option;  ///< long name of the native option
  std::string value;
  std::string where;   ///< how the user spelled it, for errors ("-p", "TINI_VERBOSITY")
};

/// What a compat command line asks for.
enum class CompatAction { Run, Help, Version, License };

/// The result of parsing a compat command line and its environment.
struct CompatArgs {
  std::vector<CompatSetting> defaults;  ///< the mode's own defaults: below every source
  std::vector<CompatSetting> env;       ///< TINI_* / DUMB_INIT_*: environment precedence
  std::vector<CompatSetting> cli;       ///< command-line precedence
  std::vector<std::string> command;
  CompatAction action = CompatAction::Run;
  bool setsid = false;  ///< dumb-init: the child leads a new session with the terminal
};

/// tini's command line: -h -s -p SIG -v -w -g -e CODE -l, --version as the only argument, GNU
/// argument permutation (options anywhere before `--`; POSIXLY_CORRECT stops at the first
/// non-option), and TINI_SUBREAPER, TINI_VERBOSITY, TINI_KILL_PROCESS_GROUP.
Result<CompatArgs> parseTiniArgs(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env);

/// dumb-init's command line: -c/--single-child, -r/--rewrite s:r, -v/--verbose,
/// -V/--version, -h/--help (long options may be abbreviated), parsing stops at the first
/// non-option; DUMB_INIT_SETSID=0 and DUMB_INIT_DEBUG=1.
Result<CompatArgs> parseDumbInitArgs(const std::vector<std::string>& args,
                                     const std::vector<std::string>& env);

/// The --help text of a compat mode.
std::string compatHelp(Compat mode);

/// The --version line: "tini version X - vigil" (Docker parses the prefix) or
/// "dumb-init vX - vigil".
std::string compatVersion(Compat mode);

}  // namespace vigil
