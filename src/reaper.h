// SPDX-License-Identifier: Apache-2.0
// Reaping: drains every exited child, and maps wait statuses to exit codes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vigil {

/// The shell convention: the exit status, or 128+N for a death by signal N.
int exitCodeFromStatus(int status);

/// A short description of a wait status: "exited 3", "killed by SIGKILL".
std::string describeStatus(int status);

/// One reaped process.
struct Reaped {
  pid_t pid;
  int status;
};

/// What one drain found.
struct ReapResult {
  std::vector<Reaped> reaped;
  bool children_left = false;  ///< some child is still running
};

/// Reaps until waitpid(-1, WNOHANG) says nothing more has exited.
ReapResult reapAll();

}  // namespace vigil
