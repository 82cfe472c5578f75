// SPDX-License-Identifier: Apache-2.0
// Wires setup, spawn and supervision together for one run of the init.
#include "init.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "event_loop.h"
#include "fd.h"
#include "memory_watcher.h"
#include "signals.h"
#include "spawn.h"
#include "supervisor.h"

namespace vigil {

using json = nlohmann::ordered_json;

std::vector<int> inheritedFds() {
  std::vector<int> fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int own = ::dirfd(d);
    while (dirent* de = ::readdir(d)) {
      int fd = -1;
      std::string_view name(de->d_name);
      auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
      if (ec == std::errc() && p == name.data() + name.size() && fd != own) fds.push_back(fd);
    }
    ::closedir(d);
    return fds;
  }
  // Without /proc, probe the descriptor table directly (bounded: a huge RLIMIT_NOFILE must
  // not make start-up slow).
  rlimit rl{};
  int limit = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
                  ? static_cast<int>(rl.rlim_cur)
                  : 65536;
  for (int fd = 0; fd < limit; ++fd)
    if (::fcntl(fd, F_GETFD) >= 0) fds.push_back(fd);
  return fds;
}

namespace {

// Once the child holds its copies, vigil lets go of the inherited descriptors so a pipe sees
// EOF when the child closes its end. stdin/stdout are pointed at /dev/null rather than closed,
// so later descriptors of vigil's own never take numbers 0 and 1; stderr stays, for
// diagnostics.
void releaseInheritedFds(const std::vector<int>& fds) {
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  for (int fd : fds) {
    if (fd == STDERR_FILENO) continue;
    if ((fd == STDIN_FILENO || fd == STDOUT_FILENO) && devnull) {
      ::dup3(devnull.get(), fd, O_CLOEXEC);
      continue;
    }
    ::close(fd);
  }
}

std::vector<std::string> environment(char** envp) {
  std::vector<std::string> env;
  for (char** e = envp; e && *e; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace

int runInit(const Config& cfg, EventLog& log, const std::vector<int>& inherited_fds,
            char** environ_now) {
  const bool pid1 = ::getpid() == 1;
  bool subreaper = false;
  int inherited_subreaper = 0;
  if (!pid1 && cfg.compat == Compat::Tini && !cfg.subreaper) {
    // tini registers as a subreaper only when asked (-s, TINI_SUBREAPER), and says so when
    // orphans will then escape it. The attribute survives exec, so a parent may have set it.
    if (::prctl(PR_GET_CHILD_SUBREAPER, &inherited_subreaper) == 0 && inherited_subreaper)
      subreaper = true;
    else
      log.message(LogLevel::Warning,
                  "not running as PID 1 and not a child subreaper: orphaned descendants are "
                  "re-parented elsewhere, so zombie reaping won't work for them (use -s, set "
                  "TINI_SUBREAPER, or run as PID 1)");
  } else if (!pid1) {
    // Orphans of our descendants must come to us, not to the host's init (prctl(2)).
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
      subreaper = true;
    else
      log.message(LogLevel::Warning,
                  std::string("cannot become a child subreaper (") + std::strerror(errno) +
                      "); orphaned descendants will not be reaped by vigil");
  }
  if (cfg.pdeathsig && ::prctl(PR_SET_PDEATHSIG, cfg.pdeathsig) != 0)
    log.message(LogLevel::Warning, std::string("--pdeathsig: ") + std::strerror(errno));

  // Memory limits are resolved before anything starts: a bad one is a usage error (exit 2).
  std::optional<ArmedMemory> armed;
  if (cfg.mem.enabled()) {
    auto a = armMemory(cfg.mem, ::getpid());
    if (!a) {
      log.message(LogLevel::Error, a.error().what);
      return 2;
    }
    armed = std::move(*a);
  }

  // Users, groups and capabilities are resolved before fork: the child may not allocate.
  std::optional<PrivPlan> privs;
  if (cfg.privs.user || cfg.privs.keep_caps || cfg.privs.no_new_privs) {
    auto plan = planPrivileges(cfg.privs);
    if (!plan) {
      log.message(LogLevel::Error, plan.error().what);
      return 2;
    }
    privs = std::move(*plan);
  }

  SpawnRequest req;
  if (privs) req.privs = &*privs;
  req.argv = cfg.command;
  req.env = environment(environ_now);
  req.take_terminal = ownsForegroundTerminal();
  req.listen_pid_of = ::getpid();
  auto sigfd = takeOverSignals(&req.mask);
  if (!sigfd) {
    log.message(LogLevel::Error, sigfd.error().what);
    return 1;
  }
  auto loop = EventLoop::create(log);
  if (!loop) {
    log.message(LogLevel::Error, loop.error().what);
    return 1;
  }

  // dumb-init mode: give up the controlling terminal so that the child, leading a new session,
  // can take it. When vigil led its session, the kernel now sends SIGHUP and SIGCONT to vigil's
  // group; they are pending in the signalfd and must not reach the child.
  bool terminal_handoff = false;
  if (cfg.setsid) {
    if (::ioctl(STDIN_FILENO, TIOCNOTTY) != 0) {
      log.message(LogLevel::Debug, std::string("no controlling terminal to hand over (") +
                                       std::strerror(errno) + ")");
    } else if (::getsid(0) == ::getpid()) {
      terminal_handoff = true;
      log.message(LogLevel::Debug,
                  "gave up the controlling terminal; the SIGHUP and SIGCONT this causes are "
                  "ignored once");
    } else {
      log.message(LogLevel::Debug, "gave up the controlling terminal (not a session leader)");
    }
  }
  // vigil moves to / before the child exists, so that no program ever sees it elsewhere; the
  // child goes back to the original directory through this descriptor before exec.
  UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (cwd && ::chdir("/") == 0) req.cwd_fd = cwd.get();
  req.new_session = cfg.setsid;
  req.own_group = cfg.compat != Compat::DumbInit || cfg.setsid;
  req.take_terminal = req.take_terminal && req.own_group && !req.new_session;

  auto child = spawnChild(req);
  if (!child && child.error().what.rfind(kPrivilegeFailure, 0) == 0) {
    log.message(LogLevel::Error, child.error().what.substr(kPrivilegeFailure.size()) + ": " +
                                     std::strerror(child.error().err));
    return 126;
  }
  if (!child) {
    const Error& e = child.error();
    if (e.err == 0 || e.err == EAGAIN || e.err == ENOMEM) {
      log.message(LogLevel::Error, "cannot start " + cfg.command[0] + ": " + e.what);
      return 126;
    }
    std::string why = std::strerror(e.err);
    if (cfg.compat == Compat::DumbInit) {
      log.message(LogLevel::Error, cfg.command[0] + ": " + why);
      return execFailureExitCode(e.err);
    }
    if (cfg.compat == Compat::Tini) {
      log.message(LogLevel::Error, "exec " + cfg.command[0] + " failed: " + why);
      return execFailureExitCode(e.err);
    }
    if (e.err == ENOENT) {
      // execve(2) also says ENOENT when the file exists but its #! interpreter or ELF loader
      // does not; "not found" would then send the user looking for the wrong file.
      struct stat st {};
      why += ::stat(e.what.c_str(), &st) == 0
                 ? " (" + e.what + " exists: its #! interpreter or ELF loader is missing)"
                 : " (not found in PATH or at that path)";
    }
    log.message(LogLevel::Error, "cannot run " + cfg.command[0] + ": " + why);
    return execFailureExitCode(e.err);
  }

  // From now on, vigil must not die before the child: every error is logged and survived.
  cwd.reset();
  if (req.cwd_fd < 0 && ::chdir("/") != 0)
    log.message(LogLevel::Warning, "chdir /: failed, ignoring");
  releaseInheritedFds(inherited_fds);

  Supervisor sup(cfg, log, *loop, *child, pid1);
  if (terminal_handoff) {
    sup.ignoreOnce(SIGHUP);
    sup.ignoreOnce(SIGCONT);
  }
  json start{{"program", cfg.command[0]}, {"pid", *child}, {"pid1", pid1},
             {"subreaper", subreaper}};
  if (cfg.setsid) start["setsid"] = true;
  log.event(LogLevel::Info, "start", start);
  int sfd = sigfd->get();
  if (auto w = loop->watch(sfd, [&sup, sfd] { sup.onSignalFd(sfd); }); !w) {
    log.message(LogLevel::Error, w.error().what);
  }
  std::optional<MemoryWatcher> watcher;
  if (armed) {
    watcher.emplace(cfg.mem, std::move(*armed), log, *loop, sup);
    watcher->start();
  }
  // The child may have exited before the signalfd was watched; its SIGCHLD is still pending
  // in the signalfd, so the first epoll_wait sees it.
  loop->run();
  return sup.exitCode();
}

}  // namespace vigil
