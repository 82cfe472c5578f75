// SPDX-License-Identifier: Apache-2.0
// Diagnostics and events on standard error, as `vigil: ...` text lines or JSON Lines.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "compat.h"

namespace vigil {

/// Severity of an event or message; lower is more severe.
enum class LogLevel { Error = 0, Warning = 1, Info = 2, Debug = 3 };

/// How lines are written.
enum class LogFormat { Text, Json };

/// The name of a level as it appears in JSON ("error", "warning", "info", "debug").
std::string_view levelName(LogLevel level);

/// RFC 3339 UTC timestamp with milliseconds, e.g. "2026-11-28T20:07:24.123Z".
std::string formatTimestamp(std::chrono::system_clock::time_point t);

/// One event as a text line: `vigil: [warning: ]EVENT key=value ...\n`.
std::string formatEventText(LogLevel level, std::string_view event, const nlohmann::ordered_json& fields);

/// `text` with control characters shown as escapes (\n, \t, \x1b): a diagnostic that quotes
/// what the user typed stays one line.
std::string oneLine(std::string_view text);

/// The part of an event's text line after the prefix, without the newline: `EVENT key=value`.
std::string eventBody(std::string_view event, const nlohmann::ordered_json& fields);

/// An event in a compat mode's text format (`[INFO  tini (1)] ...`, `[dumb-init] ...`), or
/// nullopt when that program would print nothing for it. `pid` is vigil's own.
std::optional<std::string> formatCompatEvent(Compat mode, int pid, LogLevel level,
                                             std::string_view event,
                                             const nlohmann::ordered_json& fields);

/// A free-form diagnostic in a compat mode's text format.
std::string formatCompatMessage(Compat mode, int pid, LogLevel level, std::string_view text);

/// One event as a JSON Lines record with ts, level, event and the fields.
std::string formatEventJson(std::string_view ts, LogLevel level, std::string_view event,
                            const nlohmann::ordered_json& fields);

/// A descriptor for diagnostics on standard error that never blocks vigil: when stderr is a
/// pipe, a new non-blocking open of it (the child's stderr stays as it was); otherwise 2.
/// A full pipe then costs lines, never supervision.
int openDiagnosticsFd();

/// Writes events and messages at or above a verbosity threshold to one file descriptor.
class EventLog {
 public:
  /// `threshold` is the least severe level printed (Warning by default; -v and -q move it).
  EventLog(int fd, LogFormat format, LogLevel threshold);

  /// True when lines of `level` are printed.
  bool enabled(LogLevel level) const { return level <= threshold_; }
  /// Emits a structured event (SPEC §4) when `level` is enabled.
  void event(LogLevel level, std::string_view name, const nlohmann::ordered_json& fields);
  /// Emits a free-form diagnostic (event "log" with field "msg" in JSON).
  void message(LogLevel level, std::string_view text);

  void setFormat(LogFormat format) { format_ = format; }
  void setThreshold(LogLevel threshold) { threshold_ = threshold; }
  /// Text lines take the format of the program vigil stands in for (JSON is unchanged).
  void setDialect(Compat mode);

 private:
  int fd_;
  LogFormat format_;
  LogLevel threshold_;
  Compat dialect_ = Compat::None;
  int pid_ = 0;
  bool socket_ = false;  ///< fd_ is a socket: sent with MSG_DONTWAIT

  void emit(std::string_view line);
};

/// Maps -v/-q counts to a threshold: Warning, moved one level per -v (down per -q).
LogLevel thresholdFromVerbosity(int verbose, int quiet);

}  // namespace vigil
