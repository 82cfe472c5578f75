// SPDX-License-Identifier: Apache-2.0
// Event and diagnostic formatting. Lines are built whole and written with one write(2), so
// concurrent writers to the same pipe never interleave within a line.
#include "event_log.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "fd.h"

namespace vigil {


using ojson = nlohmann::ordered_json;

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Error:
      return "error";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Info:
      return "info";
    case LogLevel::Debug:
      return "debug";
  }
  return "info";
}

std::string formatTimestamp(std::chrono::system_clock::time_point t) {
  // Calendar arithmetic from <chrono>, not gmtime_r: in a static binary gmtime_r drags in the
  // whole time-zone file parser (tzset, sscanf), and UTC needs none of it.
  using namespace std::chrono;
  auto ms_total = duration_cast<milliseconds>(t.time_since_epoch());
  auto day = floor<days>(ms_total);
  year_month_day ymd{sys_days{day}};
  auto in_day = ms_total - day;
  auto h = duration_cast<hours>(in_day);
  auto m = duration_cast<minutes>(in_day - h);
  auto sec = duration_cast<seconds>(in_day - h - m);
  auto ms = in_day - h - m - sec;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(h.count()), static_cast<int>(m.count()),
                static_cast<int>(sec.count()));
  std::string out(buf);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms.count()));
  out.insert(out.size() - 1, frac);
  return out;
}

namespace {

// Never throws: invalid UTF-8 in a program name or path is replaced, not fatal.
std::string dumpJson(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

bool needsQuotes(const std::string& s) {
  if (s.empty()) return true;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c >= 0x7f) return true;
  }
  return false;
}

std::string textValue(const ojson& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return needsQuotes(s) ? dumpJson(v) : s;
  }
  return dumpJson(v);
}

}  // namespace

std::string oneLine(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string eventBody(std::string_view event, const ojson& fields) {
  std::string line(event);
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) {
      line += ' ';
      line += key;
      line += '=';
      line += textValue(value);
    }
  }
  return line;
}

std::string formatEventText(LogLevel level, std::string_view event, const ojson& fields) {
  std::string line = "vigil: ";
  if (level <= LogLevel::Warning) {
    line += levelName(level);
    line += ": ";
  }
  line += eventBody(event, fields);
  line += '\n';
  return line;
}

std::string formatEventJson(std::string_view ts, LogLevel level, std::string_view event,
                            const ojson& fields) {
  // ordered_json keeps ts, level and event first, which makes lines easy to scan by eye.
  nlohmann::ordered_json out;
  out["ts"] = ts;
  out["level"] = levelName(level);
  out["event"] = event;
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) out[key] = value;
  }
  return out.dump(-1, ' ', false, ojson::error_handler_t::replace) + "\n";
}

int openDiagnosticsFd() {
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode)) return STDERR_FILENO;
  // Re-opening the pipe gives vigil its own file description, so O_NONBLOCK does not leak to
  // the child, which shares fd 2's. Files and terminals are left alone: a new open of a file
  // would write at its own offset.
  int fd = ::open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  return fd >= 0 ? fd : STDERR_FILENO;
}

EventLog::EventLog(int fd, LogFormat format, LogLevel threshold)
    : fd_(fd), format_(format), threshold_(threshold) {
  struct stat st {};
  socket_ = ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

void EventLog::emit(std::string_view line) {
  // A closed, broken or full stderr must never stop supervision: what cannot be written now
  // is dropped (EAGAIN on a full pipe, EPIPE on a closed one).
  while (!line.empty()) {
    ssize_t n = socket_ ? ::send(fd_, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL)
                        : ::write(fd_, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line.remove_prefix(static_cast<size_t>(n));
  }
}

void EventLog::setDialect(Compat mode) {
  dialect_ = mode;
  pid_ = static_cast<int>(::getpid());
}

void EventLog::event(LogLevel level, std::string_view name, const ojson& fields) {
  if (!enabled(level)) return;
  if (dialect_ != Compat::None && format_ == LogFormat::Text) {
    if (auto line = formatCompatEvent(dialect_, pid_, level, name, fields)) emit(*line);
    return;
  }
  std::string line = format_ == LogFormat::Json
                         ? formatEventJson(formatTimestamp(std::chrono::system_clock::now()),
                                           level, name, fields)
                         : formatEventText(level, name, fields);
  emit(line);
}

void EventLog::message(LogLevel level, std::string_view text) {
  if (!enabled(level)) return;
  std::string line;
  if (dialect_ != Compat::None && format_ == LogFormat::Text) {
    line = formatCompatMessage(dialect_, pid_, level, oneLine(text));
  } else if (format_ == LogFormat::Json) {
    line = formatEventJson(formatTimestamp(std::chrono::system_clock::now()), level, "log",
                           ojson{{"msg", std::string(text)}});
  } else {
    line = "vigil: ";
    if (level <= LogLevel::Warning) {
      line += levelName(level);
      line += ": ";
    }
    line += oneLine(text);
    line += '\n';
  }
  emit(line);
}

LogLevel thresholdFromVerbosity(int verbose, int quiet) {
  int t = static_cast<int>(LogLevel::Warning) + verbose - quiet;
  if (t < static_cast<int>(LogLevel::Error)) t = static_cast<int>(LogLevel::Error);
  if (t > static_cast<int>(LogLevel::Debug)) t = static_cast<int>(LogLevel::Debug);
  return static_cast<LogLevel>(t);
}

}  // namespace vigil
