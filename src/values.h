// SPDX-License-Identifier: Apache-2.0
// Parsers and formatters for the value types of options: durations, signals, exit codes and
// signal rewrite/delay rules. Pure functions of their text.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace vigil {

using Millis = std::chrono::milliseconds;

/// Parses a duration with a unit: "250ms", "5s", "2m", "1h", "1.5s". Bare numbers are rejected.
Result<Millis> parseDuration(std::string_view text);

/// Formats a duration the way parseDuration reads it ("250ms", "5s", "2m").
std::string formatDuration(Millis d);

/// Parses a signal: "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2", "SIGRTMAX-1".
Result<int> parseSignal(std::string_view text);

/// Like parseSignal, but also accepts "0" (meaning: none / drop).
Result<int> parseSignalOrZero(std::string_view text);

/// The conventional name of a signal ("SIGTERM", "SIGRTMIN+2"), or "SIG<n>" when unknown.
std::string signalName(int signo);

/// Parses an exit code 0..255.
Result<int> parseExitCode(std::string_view text);

/// A signal rewrite rule FROM:TO; `to` 0 drops the signal.
struct Rewrite {
  int from = 0;
  int to = 0;
};

/// Parses "FROM:TO" where both sides are signals (TO may be 0).
Result<Rewrite> parseRewrite(std::string_view text);

/// A delay rule: hold `signo` for `delay` before forwarding it.
struct Delay {
  int signo = 0;
  Millis delay{0};
};

/// Parses "SIG:DUR", e.g. "TERM:10s".
Result<Delay> parseDelay(std::string_view text);

/// Parses a boolean for environment variables and flags: 1/0, true/false, yes/no, on/off.
Result<bool> parseBool(std::string_view text);

/// Parses a non-negative decimal integer no larger than `max`.
Result<unsigned long long> parseUnsigned(std::string_view text, unsigned long long max);

}  // namespace vigil
