// SPDX-License-Identifier: Apache-2.0
// Diagnostics in the text formats of tini and dumb-init, so that log filters and alerts written
// for those programs keep matching when vigil stands in for them.
#include <optional>
#include <string>

#include "event_log.h"
#include "values.h"

namespace vigil {

using ojson = nlohmann::ordered_json;

namespace {

std::string tiniPrefix(int pid, LogLevel level) {
  const char* tag = "DEBUG";
  switch (level) {
    case LogLevel::Error:
      tag = "FATAL";
      break;
    case LogLevel::Warning:
      tag = "WARN ";
      break;
    case LogLevel::Info:
      tag = "INFO ";
      break;
    case LogLevel::Debug:
      break;
  }
  return std::string("[") + tag + " tini (" + std::to_string(pid) + ")] ";
}

std::string str(const ojson& fields, const char* key) {
  if (!fields.is_object()) return {};
  auto it = fields.find(key);
  if (it == fields.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

long long num(const ojson& fields, const char* key) {
  if (!fields.is_object()) return 0;
  auto it = fields.find(key);
  if (it == fields.end() || !it->is_number()) return 0;
  return it->get<long long>();
}

/// A signal name from an event back to its number ("SIGTERM" -> 15); 0 when not a signal.
int signalNumber(const std::string& name) { return parseSignal(name).valueOr(0); }

std::optional<std::string> tiniEvent(LogLevel level, std::string_view event, const ojson& fields) {
  if (event == "start")
    return "started '" + str(fields, "program") + "' as pid " + std::to_string(num(fields, "pid"));
  if (event == "reap") {
    bool main = fields.is_object() && fields.value("main", false);
    if (!main && level <= LogLevel::Warning)  // -w
      return "Reaped zombie process with pid=" + std::to_string(num(fields, "pid"));
    if (main)
      return "main child (pid " + std::to_string(num(fields, "pid")) + ") " + str(fields, "status");
  }
  return eventBody(event, fields);
}

std::optional<std::string> dumbInitEvent(LogLevel level, std::string_view event,
                                         const ojson& fields) {
  if (event == "start") {
    std::string line = "Child spawned with PID " + std::to_string(num(fields, "pid")) + ".";
    if (fields.is_object() && fields.value("setsid", false)) line += "\n[dumb-init] setsid complete.";
    return line;
  }
  if (event == "signal_received")
    return "Received signal " + std::to_string(signalNumber(str(fields, "signal"))) + ".";
  if (event == "signal") {
    int received = signalNumber(str(fields, "received"));
    std::string target = str(fields, "target");
    if (target == "ignored" && str(fields, "reason") == "tty hand-off")
      return "Ignoring tty hand-off signal " + std::to_string(received) + ".";
    if (target == "dropped")
      return "Not forwarding signal " + std::to_string(received) + " to children (ignored).";
    if (target == "ignored") return std::nullopt;
    return "Forwarded signal " + std::to_string(signalNumber(str(fields, "forwarded_as"))) +
           " to children.";
  }
  if (event == "reap") {
    std::string status = str(fields, "status");
    std::string pid = std::to_string(num(fields, "pid"));
    if (status.rfind("exited ", 0) == 0)
      return "A child with PID " + pid + " exited with exit status " + status.substr(7) + ".";
    if (status.rfind("killed by ", 0) == 0) {
      std::string name = status.substr(10, status.find(' ', 10) - 10);
      return "A child with PID " + pid + " was terminated by signal " +
             std::to_string(signalNumber(name)) + ".";
    }
  }
  if (event == "exit")
    return "Child exited with status " + std::to_string(num(fields, "code")) + ". Goodbye.";
  if (event == "suspend") return std::string("Suspending self due to TTY signal.");
  // vigil's own events (memory policing) are shown when they are warnings or worse.
  if (level <= LogLevel::Warning) return eventBody(event, fields);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> formatCompatEvent(Compat mode, int pid, LogLevel level,
                                             std::string_view event, const ojson& fields) {
  if (mode == Compat::Tini) {
    auto body = tiniEvent(level, event, fields);
    if (!body) return std::nullopt;
    return tiniPrefix(pid, level) + *body + "\n";
  }
  auto body = dumbInitEvent(level, event, fields);
  if (!body) return std::nullopt;
  return "[dumb-init] " + *body + "\n";
}

std::string formatCompatMessage(Compat mode, int pid, LogLevel level, std::string_view text) {
  if (mode == Compat::Tini) return tiniPrefix(pid, level) + std::string(text) + "\n";
  return "[dumb-init] " + std::string(text) + "\n";
}

}  // namespace vigil
