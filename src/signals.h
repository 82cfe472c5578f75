// SPDX-License-Identifier: Apache-2.0
// Signal handling without handlers: every signal is blocked and read from a signalfd, and
// classify() decides what each one means to vigil.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "config.h"
#include "fd.h"
#include "result.h"

namespace vigil {

/// What vigil does with a received signal.
enum class SignalClass {
  Forward,  ///< pass it on to the signal target (after rewrite and delay)
  Reap,     ///< SIGCHLD: drain exited children
  Ignore,   ///< SIGTTIN/SIGTTOU: vigil ignores them itself
};

/// What a received signal means in a mode: natively and for tini, SIGTTIN/SIGTTOU are ignored
/// (and tini does not forward the synchronous fault signals either); dumb-init forwards
/// everything but SIGCHLD.
SignalClass classify(int signo, Compat mode = Compat::None);

/// True for SIGTSTP, SIGTTIN and SIGTTOU, after which dumb-init stops itself.
bool isTerminalStop(int signo);

/// Blocks every signal and returns a non-blocking signalfd for them. `original` receives the
/// mask vigil was started with, which the child gets back before exec.
Result<UniqueFd> takeOverSignals(sigset_t* original);

/// Sends `sig` to `target` of the main child `child`. With All: kill(-1) when PID 1, else every
/// descendant of vigil. Returns the number of processes (or groups) signalled.
int sendToTarget(SignalTarget target, pid_t child, int sig, bool pid1);

/// Sends `sig` to every descendant of vigil (kill(-1) as PID 1).
int sendToAllDescendants(int sig, bool pid1);

/// Name of a target for events: "child", "group", "all".
const char* targetName(SignalTarget target);

}  // namespace vigil
