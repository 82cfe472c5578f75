// SPDX-License-Identifier: Apache-2.0
// The body of the command-line/environment/config-file targets (fuzz_config, fuzz_tini_args,
// fuzz_dumb_init_args), built once for the three (config_fuzz.cpp).
#pragma once

#include <string>
#include <string_view>

namespace fuzz {

/// Runs parseConfig on `text` as program `argv0` and checks the result.
///
/// Input layout: ARGS 0x1E ENV 0x1E FILE. ARGS and ENV are lists of NUL-separated items (a NUL
/// can be in neither an argument nor a variable); FILE is the text every --config path reads.
/// Without a second 0x1E there is no file, and reading one fails as a missing file would.
void fuzzConfig(std::string argv0, std::string_view text);

}  // namespace fuzz
