// SPDX-License-Identifier: Apache-2.0
// The option table: one row per option drives the command-line parser, the VIGIL_* variable
// names, the JSON config keys and --help.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "config.h"
#include "result.h"

namespace vigil {

/// How an option takes its value.
enum class OptionKind {
  Flag,      ///< no argument; env/JSON take a boolean
  Count,     ///< no argument, repeatable (-vv); env/JSON take a count or boolean
  Value,     ///< one argument; the last one given wins
  List,      ///< one argument, repeatable; env takes a comma-separated list, JSON an array
  Action,    ///< command-line only (--help, --version)
};

/// One row of the option table.
struct OptionSpec {
  std::string_view name;  ///< long name; also the JSON key and VIGIL_<NAME>
  char short_name;        ///< 0 when there is none
  OptionKind kind;
  std::string_view metavar;
  std::string_view help;
  /// Applies one value (for Flag: "1"/"0"; for Count: the count) to the config.
  Result<void> (*apply)(Config&, std::string_view);
  bool env_and_file = true;  ///< false: command line only
  bool hidden = false;       ///< left out of --help (test-only options)
};

/// Every option, in --help order.
std::span<const OptionSpec> optionTable();

/// A long option as written, after its two dashes: "name" or "name=value".
struct LongArg {
  std::string name;
  std::string value;
  bool has_value = false;
};

/// Splits "name=value" at the first '='.
LongArg splitLongArg(std::string_view after_dashes);

/// The environment variable of an option: VIGIL_ + upper case, '-' -> '_'.
std::string envName(std::string_view option_name);

}  // namespace vigil
