// SPDX-License-Identifier: Apache-2.0
#include "compat.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "config.h"
#include "event_log.h"
#include "options.h"
#include "signals.h"

using namespace vigil;

namespace {

Config parse(std::string argv0, std::vector<std::string> args, std::vector<std::string> env = {}) {
  ConfigInput in;
  in.argv0 = std::move(argv0);
  in.args = std::move(args);
  in.env = std::move(env);
  auto c = parseConfig(in);
  REQUIRE_MESSAGE(c, (c ? std::string() : c.error().what));
  return *c;
}

Error parseError(std::string argv0, std::vector<std::string> args,
                 std::vector<std::string> env = {}) {
  ConfigInput in;
  in.argv0 = std::move(argv0);
  in.args = std::move(args);
  in.env = std::move(env);
  auto c = parseConfig(in);
  REQUIRE_FALSE(c);
  return c.error();
}

bool hasOption(std::string_view name) {
  auto t = optionTable();
  return std::any_of(t.begin(), t.end(), [&](const OptionSpec& o) { return o.name == name; });
}

}  // namespace

TEST_CASE("the mode follows the program name, --compat and VIGIL_COMPAT") {
  CHECK(compatFromProgramName("/usr/bin/tini") == Compat::Tini);
  CHECK(compatFromProgramName("tini-static") == Compat::Tini);
  CHECK(compatFromProgramName("/sbin/docker-init") == Compat::Tini);
  CHECK(compatFromProgramName("dumb-init") == Compat::DumbInit);
  CHECK(compatFromProgramName("vigil") == Compat::None);
  CHECK(compatFromProgramName("tini.sh") == Compat::None);
  CHECK(parse("vigil", {"--compat", "tini", "--", "x"}).compat == Compat::Tini);
  CHECK(parse("vigil", {"--compat=dumb-init", "x"}).compat == Compat::DumbInit);
  CHECK(parse("vigil", {"x"}, {"VIGIL_COMPAT=tini"}).compat == Compat::Tini);
  // --compat beats the name; the variable beats the name too.
  CHECK(parse("tini", {"--compat", "dumb-init", "x"}).compat == Compat::DumbInit);
  CHECK(parse("tini", {"x"}, {"VIGIL_COMPAT=dumb-init"}).compat == Compat::DumbInit);
}

TEST_CASE("--compat errors are vigil's own: exit 2") {
  auto e = parseError("vigil", {"--compat", "busybox", "x"});
  CHECK(e.err == 0);
  CHECK(e.what.find("--compat") != std::string::npos);
  e = parseError("vigil", {"-v", "--compat", "tini", "x"});
  CHECK(e.what.find("first argument") != std::string::npos);
  e = parseError("vigil", {"x"}, {"VIGIL_COMPAT=nope"});
  CHECK(e.what.find("VIGIL_COMPAT") != std::string::npos);
}

TEST_CASE("every native option a compat parser sets exists in the option table") {
  auto t = parseTiniArgs({"-s", "-v", "-w", "-g", "-p", "USR1", "-e", "3", "--", "x"},
                         {"TINI_SUBREAPER=", "TINI_KILL_PROCESS_GROUP=1"});
  REQUIRE(t);
  auto d = parseDumbInitArgs({"-v", "-r", "15:2", "x"}, {});
  REQUIRE(d);
  for (const auto* list : {&t->cli, &t->env, &t->defaults, &d->cli, &d->env, &d->defaults})
    for (const auto& s : *list) CHECK_MESSAGE(hasOption(s.option), s.option);
}

TEST_CASE("tini options map to vigil's") {
  Config c = parse("tini", {"-s", "-w", "-g", "-p", "SIGUSR1", "-e", "143", "-e", "3", "--",
                            "prog", "-v"});
  CHECK(c.subreaper);
  CHECK(c.warn_reap);
  CHECK(c.signal_target == SignalTarget::Group);
  CHECK(c.pdeathsig == SIGUSR1);
  CHECK(c.remap_exit.test(143));
  CHECK(c.remap_exit.test(3));
  CHECK_FALSE(c.remap_exit.test(0));
  CHECK(c.command == std::vector<std::string>{"prog", "-v"});
  CHECK_FALSE(c.setsid);
}

TEST_CASE("tini permutes arguments like GNU getopt unless POSIXLY_CORRECT is set") {
  Config c = parse("tini", {"prog", "a", "-w", "b"});
  CHECK(c.warn_reap);
  CHECK(c.command == std::vector<std::string>{"prog", "a", "b"});
  c = parse("tini", {"prog", "a", "-w", "--", "-x"});
  CHECK(c.command == std::vector<std::string>{"prog", "a", "-x"});
  c = parse("tini", {"-w", "prog", "a", "-w"}, {"POSIXLY_CORRECT=1"});
  CHECK(c.command == std::vector<std::string>{"prog", "a", "-w"});
  c = parse("tini", {"-vwp9", "prog"});
  CHECK(c.warn_reap);
  CHECK(c.pdeathsig == 9);
}

TEST_CASE("tini verbosity: -v counts from 1, TINI_VERBOSITY replaces it") {
  CHECK(thresholdFromVerbosity(parse("tini", {"x"}).verbose, parse("tini", {"x"}).quiet) ==
        LogLevel::Warning);
  Config c = parse("tini", {"-vv", "x"});
  CHECK(thresholdFromVerbosity(c.verbose, c.quiet) == LogLevel::Debug);
  c = parse("tini", {"-v", "x"});
  CHECK(thresholdFromVerbosity(c.verbose, c.quiet) == LogLevel::Info);
  c = parse("tini", {"-vvv", "x"}, {"TINI_VERBOSITY=0"});
  CHECK(thresholdFromVerbosity(c.verbose, c.quiet) == LogLevel::Error);
  c = parse("tini", {"x"}, {"TINI_VERBOSITY=2"});
  CHECK(thresholdFromVerbosity(c.verbose, c.quiet) == LogLevel::Info);
}

TEST_CASE("tini variables: set at all means on; a VIGIL_ variable for the option wins") {
  Config c = parse("tini", {"x"}, {"TINI_SUBREAPER=", "TINI_KILL_PROCESS_GROUP=0"});
  CHECK(c.subreaper);
  CHECK(c.signal_target == SignalTarget::Group);
  c = parse("tini", {"x"}, {"TINI_SUBREAPER=1", "VIGIL_SUBREAPER=0"});
  CHECK_FALSE(c.subreaper);
  c = parse("tini", {"x"}, {"VIGIL_MEM_LIMIT=512M"});
  CHECK(c.mem.soft.has_value());
}

TEST_CASE("tini actions and usage errors") {
  CHECK(parse("tini", {"--version"}).action == Action::Version);
  CHECK(parse("tini", {"-h", "-z"}).action == Action::Help);
  CHECK(parse("tini", {"-l"}).action == Action::License);
  for (auto args : std::vector<std::vector<std::string>>{
           {}, {"--version", "x"}, {"-z", "x"}, {"-p"}, {"-p", "NOPE", "x"}, {"-e", "256", "x"},
           {"--", }, {"--long", "x"}}) {
    auto e = parseError("tini", args);
    CHECK_MESSAGE(e.err == kCompatUsageExit, e.what);
    CHECK(e.what.find('\n') == std::string::npos);
  }
  CHECK(parseError("tini", {"x"}, {"TINI_VERBOSITY=lots"}).err == kCompatUsageExit);
  // A bad VIGIL_ variable stays vigil's own error.
  CHECK(parseError("tini", {"x"}, {"VIGIL_MEM_LIMIT=lots"}).err == 0);
}

TEST_CASE("dumb-init defaults: setsid, group signalling, terminal stops become SIGSTOP") {
  Config c = parse("dumb-init", {"prog", "-c"});
  CHECK(c.setsid);
  CHECK(c.signal_target == SignalTarget::Group);
  CHECK(c.rewritten(SIGTSTP) == SIGSTOP);
  CHECK(c.rewritten(SIGTTIN) == SIGSTOP);
  CHECK(c.rewritten(SIGTTOU) == SIGSTOP);
  CHECK(c.rewritten(SIGTERM) == SIGTERM);
  CHECK(c.command == std::vector<std::string>{"prog", "-c"});  // stops at the first non-option
}

TEST_CASE("dumb-init single-child mode: no session, the child alone, no default rewrites") {
  for (auto c : {parse("dumb-init", {"-c", "prog"}), parse("dumb-init", {"--single-child", "prog"}),
                 parse("dumb-init", {"prog"}, {"DUMB_INIT_SETSID=0"})}) {
    CHECK_FALSE(c.setsid);
    CHECK(c.signal_target == SignalTarget::Child);
    CHECK(c.rewritten(SIGTSTP) == SIGTSTP);
  }
  CHECK(parse("dumb-init", {"prog"}, {"DUMB_INIT_SETSID=1"}).setsid);
  CHECK(parse("dumb-init", {"prog"}, {"DUMB_INIT_SETSID="}).setsid);
}

TEST_CASE("dumb-init rewrites: user rules beat the defaults, 0 drops") {
  Config c = parse("dumb-init", {"-r", "20:1", "--rewrite=15:0", "-r2:3", "prog"});
  CHECK(c.rewritten(SIGTSTP) == SIGHUP);
  CHECK(c.rewritten(SIGTTIN) == SIGSTOP);
  CHECK(c.rewritten(SIGTERM) == 0);
  CHECK(c.rewritten(SIGINT) == SIGQUIT);
  c = parse("dumb-init", {"--rewrite", "1:31", "-c", "prog"});
  CHECK(c.rewritten(1) == 31);
  CHECK(c.rewritten(SIGTSTP) == SIGTSTP);
}

TEST_CASE("dumb-init debug: -v, --verbose, a prefix, or DUMB_INIT_DEBUG=1") {
  for (auto c : {parse("dumb-init", {"-v", "x"}), parse("dumb-init", {"--verb", "x"}),
                 parse("dumb-init", {"x"}, {"DUMB_INIT_DEBUG=1"})})
    CHECK(thresholdFromVerbosity(c.verbose, c.quiet) == LogLevel::Debug);
  Config c = parse("dumb-init", {"x"}, {"DUMB_INIT_DEBUG=true"});
  CHECK(thresholdFromVerbosity(c.verbose, c.quiet) == LogLevel::Warning);
}

TEST_CASE("dumb-init actions and usage errors") {
  CHECK(parse("dumb-init", {"-V"}).action == Action::Version);
  CHECK(parse("dumb-init", {"--version"}).action == Action::Version);
  CHECK(parse("dumb-init", {"--h"}).action == Action::Help);
  CHECK(parse("dumb-init", {"-ch"}).action == Action::Help);
  for (auto args : std::vector<std::vector<std::string>>{
           {}, {"--yolo", "x"}, {"--ver", "x"}, {"-r"}, {"-r", "", "x"}, {"-r", "herp", "x"},
           {"-r", "15", "x"}, {"-r", "15::12", "x"}, {"-r", "15:derp", "x"}, {"-r", "1:32", "x"},
           {"-r", "0:1", "x"}, {"-r", "TERM:INT", "x"}, {"--help=1"}, {"-x", "prog"}}) {
    auto e = parseError("dumb-init", args);
    CHECK_MESSAGE(e.err == kCompatUsageExit, e.what);
    CHECK(e.what.find('\n') == std::string::npos);
  }
}

TEST_CASE("classification: tini drops fault signals, dumb-init forwards the terminal ones") {
  CHECK(classify(SIGSEGV, Compat::None) == SignalClass::Forward);
  CHECK(classify(SIGSEGV, Compat::Tini) == SignalClass::Ignore);
  CHECK(classify(SIGSYS, Compat::Tini) == SignalClass::Ignore);
  CHECK(classify(SIGSEGV, Compat::DumbInit) == SignalClass::Forward);
  CHECK(classify(SIGTTIN, Compat::None) == SignalClass::Ignore);
  CHECK(classify(SIGTTOU, Compat::Tini) == SignalClass::Ignore);
  CHECK(classify(SIGTTIN, Compat::DumbInit) == SignalClass::Forward);
  CHECK(classify(SIGCHLD, Compat::DumbInit) == SignalClass::Reap);
  CHECK(classify(SIGTSTP, Compat::Tini) == SignalClass::Forward);
  CHECK(isTerminalStop(SIGTSTP));
  CHECK_FALSE(isTerminalStop(SIGSTOP));
}

TEST_CASE("log formats of the two programs") {
  using ojson = nlohmann::ordered_json;
  auto line = formatCompatEvent(Compat::Tini, 1, LogLevel::Warning, "reap",
                                ojson{{"pid", 42}, {"status", "exited 0"}, {"main", false}});
  REQUIRE(line);
  CHECK(*line == "[WARN  tini (1)] Reaped zombie process with pid=42\n");
  CHECK(formatCompatMessage(Compat::Tini, 7, LogLevel::Error, "boom") == "[FATAL tini (7)] boom\n");
  line = formatCompatEvent(Compat::DumbInit, 1, LogLevel::Debug, "reap",
                           ojson{{"pid", 5}, {"status", "killed by SIGTERM"}, {"main", true}});
  REQUIRE(line);
  CHECK(*line == "[dumb-init] A child with PID 5 was terminated by signal 15.\n");
  line = formatCompatEvent(Compat::DumbInit, 1, LogLevel::Info, "signal",
                           ojson{{"received", "SIGINT"}, {"forwarded_as", nullptr},
                                 {"target", "dropped"}});
  REQUIRE(line);
  CHECK(*line == "[dumb-init] Not forwarding signal 2 to children (ignored).\n");
  line = formatCompatEvent(Compat::DumbInit, 1, LogLevel::Info, "exit", ojson{{"code", 130}});
  REQUIRE(line);
  CHECK(*line == "[dumb-init] Child exited with status 130. Goodbye.\n");
  // vigil's own informational events have no dumb-init line; its warnings do.
  CHECK_FALSE(formatCompatEvent(Compat::DumbInit, 1, LogLevel::Info, "mem_armed", ojson::object()));
  line = formatCompatEvent(Compat::DumbInit, 1, LogLevel::Warning, "mem_kill",
                           ojson{{"signal", "SIGKILL"}});
  REQUIRE(line);
  CHECK(*line == "[dumb-init] mem_kill signal=SIGKILL\n");
}

TEST_CASE("version lines") {
  CHECK(compatVersion(Compat::Tini).rfind("tini version ", 0) == 0);
  CHECK(compatVersion(Compat::Tini).find(" - vigil\n") != std::string::npos);
  CHECK(compatVersion(Compat::DumbInit).rfind("dumb-init v", 0) == 0);
}
