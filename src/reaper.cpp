// SPDX-License-Identifier: Apache-2.0
// Reaping and exit-code mapping.
#include "reaper.h"

#include <sys/wait.h>

#include <cerrno>

#include "values.h"

namespace vigil {

int exitCodeFromStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return (128 + WTERMSIG(status)) & 0xff;
  return 1;  // stopped/continued are never reported: waitpid is called without WUNTRACED
}

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by " + signalName(WTERMSIG(status)) + (WCOREDUMP(status) ? " (core dumped)" : "");
  return "status " + std::to_string(status);
}

ReapResult reapAll() {
  // SIGCHLDs coalesce: one signal may stand for many exits, so drain until waitpid says
  // nothing more has exited (0) or there is no child at all (ECHILD).
  ReapResult r;
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      r.reaped.push_back({pid, status});
      continue;
    }
    if (pid == 0) {
      r.children_left = true;
      break;
    }
    if (errno == EINTR) continue;
    break;  // ECHILD: no children at all
  }
  return r;
}

}  // namespace vigil
