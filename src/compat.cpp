// SPDX-License-Identifier: Apache-2.0
// The tini and dumb-init command lines, translated into settings of vigil's own options.
#include "compat.h"

#include <algorithm>
#include <array>

#include "options.h"

namespace vigil {

const char* compatName(Compat mode) {
  switch (mode) {
    case Compat::Tini:
      return "tini";
    case Compat::DumbInit:
      return "dumb-init";
    case Compat::None:
      break;
  }
  return "vigil";
}

Compat compatFromProgramName(std::string_view argv0) {
  if (auto slash = argv0.rfind('/'); slash != std::string_view::npos)
    argv0.remove_prefix(slash + 1);
  if (argv0 == "tini" || argv0 == "tini-static" || argv0 == "docker-init") return Compat::Tini;
  if (argv0 == "dumb-init") return Compat::DumbInit;
  return Compat::None;
}

std::optional<Compat> parseCompatName(std::string_view value) {
  if (value == "tini") return Compat::Tini;
  if (value == "dumb-init") return Compat::DumbInit;
  return std::nullopt;
}

namespace {

/// The value of NAME in "NAME=value" entries, or nullopt when NAME is not set at all.
std::optional<std::string_view> getEnv(const std::vector<std::string>& env,
                                       std::string_view name) {
  std::optional<std::string_view> found;
  for (const auto& e : env) {
    std::string_view s(e);
    if (s.size() > name.size() && s.substr(0, name.size()) == name && s[name.size()] == '=')
      found = s.substr(name.size() + 1);  // the last one wins, as getenv's callers see it
    else if (s == name)
      found = std::string_view();
  }
  return found;
}

/// A strict decimal number 0..max, or nullopt.
std::optional<int> smallNumber(std::string_view s, int max) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > max) return std::nullopt;
  return n;
}

constexpr std::string_view kTiniUsage =
    "usage: tini [-h] [-s] [-p SIGNAL] [-v] [-w] [-g] [-e EXIT_CODE] [-l] [--version] "
    "PROGRAM -- [ARGS]";
constexpr std::string_view kDumbInitUsage = "usage: dumb-init [option] program [args]";

Error usageError(std::string what, std::string_view usage, std::string_view help_flag,
                 std::string_view name) {
  return makeError(what + " (" + std::string(usage) + "; see " + std::string(name) + " " +
                   std::string(help_flag) + ")");
}

}  // namespace

Result<CompatArgs> parseTiniArgs(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env) {
  CompatArgs out;
  auto fail = [](std::string what) { return usageError(std::move(what), kTiniUsage, "-h", "tini"); };
  // tini answers --version only when it is the whole command line.
  if (args.size() == 1 && args[0] == "--version") {
    out.action = CompatAction::Version;
    return out;
  }
  // GNU getopt: options may follow operands until "--", unless POSIXLY_CORRECT is set.
  const bool posix = getEnv(env, "POSIXLY_CORRECT").has_value();
  int verbose_flags = 0;
  std::vector<std::string> operands;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (posix) break;
      operands.push_back(a);
      continue;
    }
    if (a[1] == '-') return fail("unrecognized option '" + a + "'");
    for (size_t k = 1; k < a.size(); ++k) {
      const char c = a[k];
      switch (c) {
        case 'h':
          out.action = CompatAction::Help;
          return out;
        case 'l':
          out.action = CompatAction::License;
          return out;
        case 's':
          out.cli.push_back({"subreaper", "1", "-s"});
          break;
        case 'v':
          ++verbose_flags;
          break;
        case 'w':
          out.cli.push_back({"warn-reap", "1", "-w"});
          break;
        case 'g':
          out.cli.push_back({"group", "1", "-g"});
          break;
        case 'p':
        case 'e': {
          std::string value;
          if (k + 1 < a.size()) {
            value = a.substr(k + 1);
          } else if (i + 1 < args.size()) {
            value = args[++i];
          } else {
            return fail(std::string("option requires an argument -- '") + c + "'");
          }
          out.cli.push_back({c == 'p' ? "pdeathsig" : "remap-exit", value,
                             std::string("-") + c});
          k = a.size();
          break;
        }
        default:
          return fail(std::string("invalid option -- '") + c + "'");
      }
    }
  }
  out.command = std::move(operands);
  out.command.insert(out.command.end(), args.begin() + static_cast<std::ptrdiff_t>(i),
                     args.end());

  // tini reads its variables after the options: TINI_VERBOSITY replaces any -v, and the two
  // switches are on when set at all, whatever their value.
  std::optional<int> level;
  std::string level_where = "-v";
  if (auto v = getEnv(env, "TINI_VERBOSITY")) {
    level = smallNumber(*v, 99);
    if (!level)
      return makeError("TINI_VERBOSITY: '" + std::string(*v) +
                       "' is not valid (expected a level 0-3: 0 errors, 1 warnings, 2 info, "
                       "3 debug)");
    level_where = "TINI_VERBOSITY";
  } else if (verbose_flags > 0) {
    level = 1 + verbose_flags;
  }
  if (level) {
    // tini's level 1 (the default) is vigil's warning threshold.
    out.cli.push_back({"verbose", std::to_string(std::clamp(*level - 1, 0, 9)), level_where});
    out.cli.push_back({"quiet", *level == 0 ? "1" : "0", level_where});
  }
  if (getEnv(env, "TINI_SUBREAPER")) out.env.push_back({"subreaper", "1", "TINI_SUBREAPER"});
  if (getEnv(env, "TINI_KILL_PROCESS_GROUP"))
    out.env.push_back({"group", "1", "TINI_KILL_PROCESS_GROUP"});

  if (out.command.empty()) return fail("no program given");
  return out;
}

Result<CompatArgs> parseDumbInitArgs(const std::vector<std::string>& args,
                                     const std::vector<std::string>& env) {
  CompatArgs out;
  auto fail = [](std::string what) {
    return usageError(std::move(what), kDumbInitUsage, "--help", "dumb-init");
  };
  bool single_child = false, debug = false;
  std::string debug_where;
  std::vector<std::string> rewrites;  // "FROM:TO" in signal numbers, in the order given

  auto addRewrite = [&](std::string_view v, std::string_view shown) -> Result<void> {
    auto colon = v.find(':');
    std::optional<int> from, to;
    if (colon != std::string_view::npos) {
      from = smallNumber(v.substr(0, colon), 31);
      to = smallNumber(v.substr(colon + 1), 31);
    }
    if (!from || *from == 0 || !to)
      return fail(std::string(shown) + ": '" + std::string(v) +
                  "' is not valid (expected FROM:TO, signal numbers 1-31; TO 0 drops FROM)");
    rewrites.push_back(std::to_string(*from) + ":" + std::to_string(*to));
    return ok();
  };

  // Both spellings of an option end here; true when parsing is over (help, version).
  auto apply = [&](char c, const std::string& shown, const std::string& value) -> Result<bool> {
    switch (c) {
      case 'h':
        out.action = CompatAction::Help;
        return true;
      case 'V':
        out.action = CompatAction::Version;
        return true;
      case 'v':
        debug = true;
        debug_where = shown;
        return false;
      case 'c':
        single_child = true;
        return false;
      default:  // 'r'
        if (auto r = addRewrite(value, shown); !r) return r.error();
        return false;
    }
  };

  struct Long {
    std::string_view name;
    char letter;
  };
  static constexpr std::array<Long, 5> kLong = {
      Long{"help", 'h'}, {"verbose", 'v'}, {"version", 'V'}, {"single-child", 'c'},
      {"rewrite", 'r'}};
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;  // dumb-init stops at the first non-option
    if (a[1] == '-') {
      auto [name, value, has_value] = splitLongArg(std::string_view(a).substr(2));
      // getopt_long accepts any unambiguous prefix of a long option.
      const Long* match = nullptr;
      int matches = 0;
      for (const auto& l : kLong) {
        if (l.name == name) {
          match = &l;
          matches = 1;
          break;
        }
        if (!name.empty() && l.name.substr(0, name.size()) == name) {
          match = &l;
          ++matches;
        }
      }
      if (matches == 0) return fail("unrecognized option '--" + name + "'");
      if (matches > 1) return fail("option '--" + name + "' is ambiguous");
      std::string shown = "--" + std::string(match->name);
      if (match->letter != 'r' && has_value) return fail(shown + ": takes no value");
      if (match->letter == 'r' && !has_value) {
        if (i + 1 >= args.size()) return fail(shown + ": needs a value (FROM:TO)");
        value = args[++i];
      }
      auto done = apply(match->letter, shown, value);
      if (!done) return done.error();
      if (*done) return out;
      continue;
    }
    for (size_t k = 1; k < a.size(); ++k) {
      const char c = a[k];
      if (c != 'h' && c != 'V' && c != 'v' && c != 'c' && c != 'r')
        return fail(std::string("invalid option -- '") + c + "'");
      std::string value;
      if (c == 'r') {
        if (k + 1 < a.size())
          value = a.substr(k + 1);
        else if (i + 1 < args.size())
          value = args[++i];
        else
          return fail("-r: needs a value (FROM:TO)");
        k = a.size();
      }
      auto done = apply(c, std::string("-") + c, value);
      if (!done) return done.error();
      if (*done) return out;
    }
  }
  out.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());

  if (getEnv(env, "DUMB_INIT_SETSID") == std::optional<std::string_view>("0")) single_child = true;
  if (!debug && getEnv(env, "DUMB_INIT_DEBUG") == std::optional<std::string_view>("1")) {
    debug = true;
    debug_where = "DUMB_INIT_DEBUG";
  }
  out.setsid = !single_child;

  // In setsid mode the terminal stop signals become SIGSTOP for the child's session group
  // (a session leader would otherwise ignore them), unless -r says otherwise.
  std::vector<std::string> all = rewrites;
  if (out.setsid) {
    for (int s : {20 /* SIGTSTP */, 22 /* SIGTTOU */, 21 /* SIGTTIN */}) {
      std::string prefix = std::to_string(s) + ":";
      bool given = std::any_of(rewrites.begin(), rewrites.end(),
                               [&](const std::string& r) { return r.rfind(prefix, 0) == 0; });
      if (!given) all.insert(all.begin(), prefix + "19" /* SIGSTOP */);
    }
  }
  auto& rewrite_layer = rewrites.empty() ? out.defaults : out.cli;
  for (auto& r : all) rewrite_layer.push_back({"rewrite", r, "-r"});
  out.defaults.push_back({"signal-target", out.setsid ? "group" : "child", "dumb-init"});
  if (debug) out.cli.push_back({"verbose", "2", debug_where});

  if (out.command.empty()) return fail("no program given");
  return out;
}

std::string compatHelp(Compat mode) {
  std::string v = VIGIL_VERSION;
  if (mode == Compat::Tini)
    return std::string(kTiniUsage) +
           "\n\n"
           "vigil " + v + " in tini compatibility mode: runs PROGRAM, reaps every zombie and\n"
           "forwards signals to it.\n\n"
           "  --version   print the version and exit (only as the sole argument)\n"
           "  -h          show this help and exit\n"
           "  -s          register as a child subreaper (also: TINI_SUBREAPER set)\n"
           "  -p SIGNAL   signal vigil gets when its parent dies; it is forwarded\n"
           "  -v          more output, repeatable (TINI_VERBOSITY=0..3 sets the level)\n"
           "  -w          warn when a zombie other than PROGRAM is reaped\n"
           "  -g          send signals to PROGRAM's process group (also: TINI_KILL_PROCESS_GROUP)\n"
           "  -e CODE     PROGRAM's exit code CODE becomes 0; repeatable\n"
           "  -l          show the licence and exit\n\n"
           "Options are read anywhere before `--` (set POSIXLY_CORRECT to stop at PROGRAM).\n"
           "Memory policing and every other vigil option come from VIGIL_* variables, e.g.\n"
           "VIGIL_MEM_LIMIT=90%. See vigil(1).\n";
  return "dumb-init v" + v + " - vigil\n" + std::string(kDumbInitUsage) +
         "\n\n"
         "vigil " + v + " in dumb-init compatibility mode: runs a program in a new session,\n"
         "forwards signals to its process group and reaps every zombie.\n\n"
         "  -c, --single-child   no new session: signals go to the program alone\n"
         "                       (also: DUMB_INIT_SETSID=0)\n"
         "  -r, --rewrite s:r    forward signal number s as r (r = 0 drops it); repeatable\n"
         "  -v, --verbose        debug output on standard error (also: DUMB_INIT_DEBUG=1)\n"
         "  -h, --help           show this help and exit\n"
         "  -V, --version        print the version and exit\n\n"
         "Memory policing and every other vigil option come from VIGIL_* variables, e.g.\n"
         "VIGIL_MEM_LIMIT=90%. See vigil(1).\n";
}

std::string compatVersion(Compat mode) {
  if (mode == Compat::Tini) return "tini version " VIGIL_VERSION " - vigil\n";
  return "dumb-init v" VIGIL_VERSION " - vigil\n";
}

}  // namespace vigil
