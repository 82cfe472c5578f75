// SPDX-License-Identifier: Apache-2.0
// The body of the command-line/environment/config-file targets: decodes an input into a
// ConfigInput (layout in config_fuzz.h), runs parseConfig and checks what any accepted
// configuration must satisfy.
#include "config_fuzz.h"

#include <signal.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "fuzz_util.h"

namespace fuzz {
namespace {

std::vector<std::string> items(std::string_view section) {
  std::vector<std::string> out;
  if (section.empty()) return out;
  for (std::string_view s : split(section, '\0')) out.emplace_back(s);
  return out;
}

void checkDuration(vigil::Millis d) {
  FUZZ_CHECK(d.count() >= 0 && d.count() <= 1000000000000LL);
}

void checkLimit(const std::optional<vigil::LimitSpec>& l) {
  if (!l) return;
  switch (l->kind) {
    case vigil::LimitSpec::Kind::Absolute:
      FUZZ_CHECK(l->bytes > 0);
      break;
    case vigil::LimitSpec::Kind::Percent:
      FUZZ_CHECK(l->basis_points >= 1 && l->basis_points <= 10000);
      break;
    case vigil::LimitSpec::Kind::Headroom:
      break;
  }
}

/// What every configuration parseConfig accepts must satisfy.
void checkConfig(const vigil::Config& c, const vigil::ConfigInput& in) {
  using vigil::Action;
  FUZZ_CHECK(c.compat == vigil::selectedCompat(in));
  if (c.action == Action::Run) FUZZ_CHECK(!c.command.empty());
  if (c.action == Action::Health) FUZZ_CHECK(c.command.empty());
  if (c.setsid) FUZZ_CHECK(c.compat == vigil::Compat::DumbInit);
  const int max_sig = SIGRTMAX;
  FUZZ_CHECK(c.pdeathsig >= 0 && c.pdeathsig <= max_sig);
  FUZZ_CHECK(c.mem.signal >= 1 && c.mem.signal <= max_sig);
  for (size_t s = 0; s < c.rewrite.size(); ++s) {
    FUZZ_CHECK(c.rewrite[s] >= -1 && c.rewrite[s] <= max_sig);
    checkDuration(c.delay[s]);
    int to = c.rewritten(static_cast<int>(s));
    if (s > 0) FUZZ_CHECK(to >= 0 && to <= max_sig);
  }
  FUZZ_CHECK(c.verbose >= 0 && c.verbose <= 9);
  FUZZ_CHECK(c.quiet >= 0 && c.quiet <= 9);
  checkDuration(c.cleanup_grace);
  checkDuration(c.mem.sustain);
  checkDuration(c.mem.grace);
  FUZZ_CHECK(c.mem.interval.count() >= 10 && c.mem.interval.count() <= 60000);
  if (c.mem.exit_code) FUZZ_CHECK(*c.mem.exit_code >= 1 && *c.mem.exit_code <= 255);
  checkLimit(c.mem.soft);
  checkLimit(c.mem.hard);
  if (c.mem.soft && c.mem.hard && c.mem.soft->kind == vigil::LimitSpec::Kind::Absolute &&
      c.mem.hard->kind == vigil::LimitSpec::Kind::Absolute)
    FUZZ_CHECK(c.mem.soft->bytes <= c.mem.hard->bytes);
  if (c.privs.user) FUZZ_CHECK(!c.privs.user->empty());
  if (c.config_file) FUZZ_CHECK(!c.config_file->empty());
}

}  // namespace

void fuzzConfig(std::string argv0, std::string_view text) {
  std::vector<std::string_view> sections = splitN(text, '\x1e', 3);
  vigil::ConfigInput in;
  in.argv0 = std::move(argv0);
  in.args = items(sections[0]);
  if (sections.size() > 1) in.env = items(sections[1]);
  int reads = 0;
  const bool has_file = sections.size() > 2;
  const std::string file = has_file ? std::string(sections[2]) : std::string();
  in.read_file = [&](const std::string& path) -> vigil::Result<std::string> {
    ++reads;
    if (!has_file) return vigil::Error{ENOENT, "open " + path + ": No such file or directory"};
    return file;
  };

  auto cfg = vigil::parseConfig(in);
  FUZZ_CHECK(reads <= 1);
  if (cfg) {
    checkConfig(*cfg, in);
  } else {
    const vigil::Error& e = cfg.error();
    FUZZ_CHECK(!e.what.empty());
    FUZZ_CHECK(e.err == 0 || e.err == vigil::kCompatUsageExit);
    // Only a compat mode's own usage errors carry its exit status.
    if (e.err == vigil::kCompatUsageExit) FUZZ_CHECK(vigil::selectedCompat(in) != vigil::Compat::None);
    // An error is one line, unless it quotes a value that itself holds a line break.
    if (reads == 0 && text.find('\n') == std::string_view::npos)
      FUZZ_CHECK(e.what.find('\n') == std::string::npos);
  }
}

}  // namespace fuzz
