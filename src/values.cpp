// SPDX-License-Identifier: Apache-2.0
// Option value parsers. Every parser uses std::from_chars so that no input can throw.
#include "values.h"

#include <signal.h>

#include <array>
#include <cctype>
#include <charconv>

namespace vigil {
namespace {

struct SignalEntry {
  const char* name;
  int signo;
};

// Linux signal numbers on every architecture vigil targets (x86_64, aarch64, ...) where
// <signal.h> provides them; aliases (IOT, POLL, CLD) map to the same numbers.
constexpr std::array kSignals{
    SignalEntry{"HUP", SIGHUP},       SignalEntry{"INT", SIGINT},       SignalEntry{"QUIT", SIGQUIT},
    SignalEntry{"ILL", SIGILL},       SignalEntry{"TRAP", SIGTRAP},     SignalEntry{"ABRT", SIGABRT},
    SignalEntry{"BUS", SIGBUS},       SignalEntry{"FPE", SIGFPE},       SignalEntry{"KILL", SIGKILL},
    SignalEntry{"USR1", SIGUSR1},     SignalEntry{"SEGV", SIGSEGV},     SignalEntry{"USR2", SIGUSR2},
    SignalEntry{"PIPE", SIGPIPE},     SignalEntry{"ALRM", SIGALRM},     SignalEntry{"TERM", SIGTERM},
    SignalEntry{"STKFLT", SIGSTKFLT}, SignalEntry{"CHLD", SIGCHLD},     SignalEntry{"CONT", SIGCONT},
    SignalEntry{"STOP", SIGSTOP},     SignalEntry{"TSTP", SIGTSTP},     SignalEntry{"TTIN", SIGTTIN},
    SignalEntry{"TTOU", SIGTTOU},     SignalEntry{"URG", SIGURG},       SignalEntry{"XCPU", SIGXCPU},
    SignalEntry{"XFSZ", SIGXFSZ},     SignalEntry{"VTALRM", SIGVTALRM}, SignalEntry{"PROF", SIGPROF},
    SignalEntry{"WINCH", SIGWINCH},   SignalEntry{"IO", SIGIO},         SignalEntry{"PWR", SIGPWR},
    SignalEntry{"SYS", SIGSYS},       SignalEntry{"IOT", SIGIOT},       SignalEntry{"POLL", SIGPOLL},
    SignalEntry{"CLD", SIGCHLD},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool istartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::optional<int> parseInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<int> parseSignalImpl(std::string_view text, bool allow_zero) {
  const std::string shown(text);
  if (text.empty()) return makeError("empty signal (expected a name like TERM or a number)");
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    auto n = parseInt(text);
    if (n && *n == 0 && allow_zero) return 0;
    if (!n || *n < 1 || *n > SIGRTMAX)
      return makeError("'" + shown + "' is not a signal number (1-" + std::to_string(SIGRTMAX) +
                       ")");
    return *n;
  }
  std::string_view name = text;
  if (istartsWith(name, "SIG")) name.remove_prefix(3);
  for (const auto& e : kSignals) {
    if (iequals(name, e.name)) return e.signo;
  }
  for (auto [base_name, base] : {std::pair<std::string_view, int>{"RTMIN", SIGRTMIN},
                                 std::pair<std::string_view, int>{"RTMAX", SIGRTMAX}}) {
    if (!istartsWith(name, base_name)) continue;
    std::string_view rest = name.substr(base_name.size());
    int signo = base;
    if (!rest.empty()) {
      int sign = rest[0] == '+' ? 1 : rest[0] == '-' ? -1 : 0;
      auto off = sign ? parseInt(rest.substr(1)) : std::nullopt;
      // A plain offset within the real-time range: no second sign, no int overflow.
      if (!off || *off < 0 || *off > SIGRTMAX - SIGRTMIN) break;
      signo = base + sign * *off;
    }
    if (signo < SIGRTMIN || signo > SIGRTMAX) break;
    return signo;
  }
  return makeError("'" + shown + "' is not a signal (expected a name like TERM, SIGTERM, " +
                   "RTMIN+1, or a number)");
}

}  // namespace

Result<Millis> parseDuration(std::string_view text) {
  const std::string shown(text);
  const std::string expected = " (expected a number with a unit: 250ms, 5s, 2m, 1h)";
  // Integers only (a whole part and up to 6 decimals), not from_chars<double>: that would link
  // glibc's strtold into the static binary for one parser.
  size_t unit_at = 0;
  while (unit_at < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.'))
    ++unit_at;
  std::string_view num = text.substr(0, unit_at), unit = text.substr(unit_at);
  auto dot = num.find('.');
  std::string_view whole = num.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : num.substr(dot + 1);
  unsigned long long w = 0, f = 0, f_scale = 1;
  auto digits = [](std::string_view d, unsigned long long& out) {
    auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), out);
    return ec == std::errc() && p == d.data() + d.size();
  };
  bool valid = !whole.empty() && digits(whole, w) && frac.size() <= 6 &&
               (dot == std::string_view::npos || (!frac.empty() && digits(frac, f)));
  if (!valid) return makeError("'" + shown + "' is not a duration" + expected);
  for (size_t i = 0; i < frac.size(); ++i) f_scale *= 10;
  unsigned long long scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m" || unit == "min")
    scale = 60000;
  else if (unit == "h")
    scale = 3600000;
  else if (unit.empty())
    return makeError("'" + shown + "' has no unit" + expected);
  else
    return makeError("'" + shown + "' has an unknown unit" + expected);
  constexpr unsigned long long kMaxMs = 1000000000000ULL;  // about 31 years
  if (w > kMaxMs / scale) return makeError("'" + shown + "' is too long");
  unsigned long long ms = w * scale + (f * scale + f_scale / 2) / f_scale;
  if (ms > kMaxMs) return makeError("'" + shown + "' is too long");
  return Millis(static_cast<long long>(ms));
}

std::string formatDuration(Millis d) {
  auto ms = d.count();
  if (ms % 3600000 == 0 && ms != 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms != 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<int> parseSignal(std::string_view text) { return parseSignalImpl(text, false); }

Result<int> parseSignalOrZero(std::string_view text) { return parseSignalImpl(text, true); }

std::string signalName(int signo) {
  for (const auto& e : kSignals) {
    if (e.signo == signo) return std::string("SIG") + e.name;
  }
  if (signo == SIGRTMIN) return "SIGRTMIN";
  if (signo == SIGRTMAX) return "SIGRTMAX";
  if (signo > SIGRTMIN && signo < SIGRTMAX) return "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  return "SIG" + std::to_string(signo);
}

Result<int> parseExitCode(std::string_view text) {
  auto n = parseInt(text);
  if (!n || *n < 0 || *n > 255)
    return makeError("'" + std::string(text) + "' is not an exit code (expected 0-255)");
  return *n;
}

Result<Rewrite> parseRewrite(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return makeError("'" + std::string(text) + "' is not a rewrite (expected FROM:TO, e.g. 15:3)");
  auto from = parseSignal(text.substr(0, colon));
  if (!from) return from.error();
  auto to = parseSignalOrZero(text.substr(colon + 1));
  if (!to) return to.error();
  return Rewrite{*from, *to};
}

Result<Delay> parseDelay(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return makeError("'" + std::string(text) + "' is not a delay (expected SIG:DUR, e.g. TERM:5s)");
  auto sig = parseSignal(text.substr(0, colon));
  if (!sig) return sig.error();
  auto d = parseDuration(text.substr(colon + 1));
  if (!d) return d.error();
  return Delay{*sig, *d};
}

Result<bool> parseBool(std::string_view text) {
  for (auto t : {"1", "true", "yes", "on"})
    if (iequals(text, t)) return true;
  for (auto f : {"0", "false", "no", "off", ""})
    if (iequals(text, f)) return false;
  return makeError("'" + std::string(text) + "' is not a boolean (expected 1/0, true/false, " +
                   "yes/no, on/off)");
}

Result<unsigned long long> parseUnsigned(std::string_view text, unsigned long long max) {
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v > max)
    return makeError("'" + std::string(text) + "' is not a number from 0 to " +
                     std::to_string(max));
  return v;
}

}  // namespace vigil
