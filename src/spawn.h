// SPDX-License-Identifier: Apache-2.0
// Starts the main child: everything is prepared before fork(), and the child only makes
// async-signal-safe calls before execve(). An exec failure comes back through a pipe.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "privs.h"
#include "result.h"

namespace vigil {

/// How to start the child.
struct SpawnRequest {
  std::vector<std::string> argv;  ///< argv[0] is the program as given
  std::vector<std::string> env;   ///< "NAME=value" entries
  sigset_t mask{};                ///< the child's signal mask (vigil's original one)
  bool take_terminal = false;     ///< make the child's group the terminal's foreground group
  bool own_group = true;          ///< the child leads a new process group (else: vigil's)
  bool new_session = false;       ///< the child leads a new session, stdin its terminal
  int cwd_fd = -1;                ///< the child fchdir()s here before exec (vigil is at / then)
  pid_t listen_pid_of = 0;        ///< rewrite LISTEN_PID=<this> to the child's pid (0: never)
  const PrivPlan* privs = nullptr;  ///< user, groups and capabilities to switch to before exec
};

/// Why the child could not become the program: errno and the step that failed.
struct SpawnFailure {
  int err = 0;
  const char* step = "exec";  ///< "exec", or a privilege step such as "setuid"
};

/// Finds `name` as execvp(3) would: names with a '/' are used as they are, others are looked
/// up in `path_env` (":"-separated). ENOENT when nothing is found, EACCES when only
/// non-executable files are.
Result<std::string> resolveProgram(std::string_view name, std::string_view path_env);

/// The exit status for a failed exec: 127 when not found, 126 otherwise (as shells do).
int execFailureExitCode(int err);

/// Prefix of the Error of a failed privilege step: "privileges: setuid".
inline constexpr std::string_view kPrivilegeFailure = "privileges: ";

/// Forks and execs. On failure the child is reaped and the Error carries its errno; its `what`
/// is kPrivilegeFailure + the step for a failed privilege step, else the program's path.
Result<pid_t> spawnChild(const SpawnRequest& req);

/// True when stdin is a terminal whose foreground group is vigil's own.
bool ownsForegroundTerminal();

}  // namespace vigil
