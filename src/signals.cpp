// SPDX-License-Identifier: Apache-2.0
// Signal masks, the signalfd and delivery to the signal target.
#include "signals.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "process_tree.h"

namespace vigil {

SignalClass classify(int signo, Compat mode) {
  if (signo == SIGCHLD) return SignalClass::Reap;
  if (mode == Compat::DumbInit) return SignalClass::Forward;
  switch (signo) {
    case SIGTTIN:
    case SIGTTOU:
      return SignalClass::Ignore;
    case SIGFPE:
    case SIGILL:
    case SIGSEGV:
    case SIGBUS:
    case SIGABRT:
    case SIGTRAP:
    case SIGSYS:
      // tini leaves these to their default action and never forwards them.
      return mode == Compat::Tini ? SignalClass::Ignore : SignalClass::Forward;
    default:
      return SignalClass::Forward;
  }
}

bool isTerminalStop(int signo) { return signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU; }

Result<UniqueFd> takeOverSignals(sigset_t* original) {
  // Everything is blocked, the synchronous fault signals included: a real fault is forced
  // through by the kernel anyway (force_sig_fault unblocks it), while a SIGSEGV sent with
  // kill(2) must be forwarded, not dropped (PID 1 ignores unhandled signals) or fatal.
  sigset_t all;
  sigfillset(&all);
  if (::sigprocmask(SIG_SETMASK, &all, original) != 0) return systemError("sigprocmask");
  int fd = ::signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return systemError("signalfd");
  return UniqueFd(fd);
}

int sendToAllDescendants(int sig, bool pid1) {
  if (pid1) {
    // As PID 1 of a namespace, kill(-1) reaches every other process in it (kill(2)).
    return ::kill(-1, sig) == 0 ? 1 : 0;
  }
  return signalDescendants(::getpid(), sig);
}

int sendToTarget(SignalTarget target, pid_t child, int sig, bool pid1) {
  switch (target) {
    case SignalTarget::Child:
      return ::kill(child, sig) == 0 ? 1 : 0;
    case SignalTarget::Group:
      // The child leads its own process group (spawn.cpp), so its pgid is its pid. Until it
      // has run setsid() (dumb-init mode), or when it shares vigil's group (dumb-init -c),
      // there is no such group yet: the child alone gets the signal then.
      if (::kill(-child, sig) == 0) return 1;
      return errno == ESRCH && ::kill(child, sig) == 0 ? 1 : 0;
    case SignalTarget::All:
      return sendToAllDescendants(sig, pid1);
  }
  return 0;
}

const char* targetName(SignalTarget target) {
  switch (target) {
    case SignalTarget::Child:
      return "child";
    case SignalTarget::Group:
      return "group";
    case SignalTarget::All:
      return "all";
  }
  return "child";
}

}  // namespace vigil
