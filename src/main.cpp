// SPDX-License-Identifier: Apache-2.0
// vigil: a container init. main() only wires the modules: parse, then run.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "config.h"
#include "event_log.h"
#include "fd.h"
#include "health.h"
#include "init.h"

extern char** environ;

namespace {

constexpr const char* kLicense =
    "vigil " VIGIL_VERSION "\n"
    "Licensed under the Apache License, Version 2.0 (SPDX: Apache-2.0).\n"
    "You may not use this program except in compliance with the License.\n"
    "Distributed on an \"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.\n"
    "The full text is in the LICENSE file of the source and in the package documentation.\n";

}  // namespace

namespace __gnu_cxx {
// Replaces libstdc++'s verbose terminate handler, which links in the C++ demangler (about a
// tenth of the static binary) only to name the type of an exception nothing caught. vigil
// catches everything at its event-loop firewall, so this is only reached on a bug.
void __verbose_terminate_handler() {
  (void)vigil::writeAll(STDERR_FILENO, "vigil: fatal: unhandled exception\n");
  std::abort();
}
}  // namespace __gnu_cxx

int main(int argc, char** argv) {
  // Listed first, before vigil opens anything of its own.
  std::vector<int> inherited = vigil::inheritedFds();

  vigil::ConfigInput input;
  input.argv0 = argc > 0 ? argv[0] : "vigil";
  for (int i = 1; i < argc; ++i) input.args.emplace_back(argv[i]);
  for (char** e = environ; e && *e; ++e) input.env.emplace_back(*e);
  input.read_file = [](const std::string& path) {
    return vigil::readFileAt(AT_FDCWD, path);
  };
  auto cfg = vigil::parseConfig(input);
  if (!cfg) {
    const vigil::Compat mode = vigil::selectedCompat(input);
    (void)vigil::writeAll(STDERR_FILENO, std::string(vigil::compatName(mode)) + ": " +
                                             vigil::oneLine(cfg.error().what) + "\n");
    return cfg.error().err == vigil::kCompatUsageExit ? vigil::kCompatUsageExit : 2;
  }
  // tini prints its help and version on stdout, dumb-init on stderr.
  const vigil::Compat mode = cfg->compat;
  const int info_fd = mode == vigil::Compat::DumbInit ? STDERR_FILENO : STDOUT_FILENO;
  switch (cfg->action) {
    case vigil::Action::Help:
      return vigil::writeAll(info_fd, mode == vigil::Compat::None ? vigil::helpText()
                                                                  : vigil::compatHelp(mode))
                 ? 0
                 : 1;
    case vigil::Action::Version:
      return vigil::writeAll(info_fd, mode == vigil::Compat::None ? "vigil " VIGIL_VERSION "\n"
                                                                  : vigil::compatVersion(mode))
                 ? 0
                 : 1;
    case vigil::Action::License:
      return vigil::writeAll(STDOUT_FILENO, kLicense) ? 0 : 1;
    case vigil::Action::Health:
      return vigil::runHealth(*cfg);
    case vigil::Action::Run:
      break;
  }
  vigil::EventLog log(vigil::openDiagnosticsFd(), cfg->log_format,
                      vigil::thresholdFromVerbosity(cfg->verbose, cfg->quiet));
  if (mode != vigil::Compat::None) log.setDialect(mode);
  return vigil::runInit(*cfg, log, inherited, environ);
}
