// SPDX-License-Identifier: Apache-2.0
// fork/exec of the main child.
#include "spawn.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "fd.h"

namespace vigil {

Result<std::string> resolveProgram(std::string_view name, std::string_view path_env) {
  if (name.empty()) return Error{ENOENT, "empty program name"};
  if (name.find('/') != std::string_view::npos) return std::string(name);
  if (path_env.empty()) path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int err = ENOENT;
  while (true) {
    auto colon = path_env.find(':');
    std::string_view dir = path_env.substr(0, colon);
    std::string candidate = dir.empty() ? "." : std::string(dir);
    candidate += '/';
    candidate += name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      err = EACCES;  // keep looking, as execvp does, but remember why this one failed
    }
    if (colon == std::string_view::npos) break;
    path_env.remove_prefix(colon + 1);
  }
  return Error{err, std::string(name)};
}

int execFailureExitCode(int err) { return err == ENOENT || err == ENOTDIR ? 127 : 126; }

bool ownsForegroundTerminal() {
  // Only take the terminal when vigil is in the foreground: a backgrounded `vigil ... &` must
  // not steal the terminal from the shell that started it.
  if (!::isatty(STDIN_FILENO)) return false;
  pid_t fg = ::tcgetpgrp(STDIN_FILENO);
  // In a new PID namespace (unshare --pid --fork, a container started from a shell) both the
  // terminal's foreground group and vigil's own group may lie outside the namespace, and the
  // kernel reports each as 0 (pid_namespaces(7)): equal, so take the terminal then as well.
  return fg >= 0 && fg == ::getpgrp();
}

namespace {

// Writes `value` in decimal at the end of `buf`'s fixed-size field; async-signal-safe.
void formatPidInto(char* field, size_t width, pid_t value) {
  char digits[24];
  size_t n = 0;
  auto v = static_cast<unsigned long>(value);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < sizeof digits);
  size_t i = 0;
  for (; i < n && i < width; ++i) field[i] = digits[n - 1 - i];
  field[i] = '\0';
}

[[noreturn]] void childAfterFork(const SpawnRequest& req, const char* path, char* const* argv,
                                 char* const* envp, char* listen_field, int err_fd) {
  // Only async-signal-safe calls from here on (signal-safety(7)): the parent may have held
  // any lock at fork time.
  if (req.new_session) {
    // dumb-init's way: a new session whose controlling terminal is stdin's, if vigil gave it
    // up (TIOCNOTTY) and it has no other session. Failure only means no terminal.
    ::setsid();
    ::ioctl(STDIN_FILENO, TIOCSCTTY, 0);
  } else if (req.own_group) {
    ::setpgid(0, 0);
  }
  if (req.take_terminal && req.own_group && !req.new_session) {
    // The child, not vigil, calls tcsetpgrp: it must already lead the new group, and doing
    // it before exec means the program never runs in the background. SIGTTOU is still
    // blocked here, so the call cannot stop us (tcsetpgrp(3)). Errors are ignored: ENOTTY
    // or ENXIO only mean there is no terminal to hand over.
    ::tcsetpgrp(STDIN_FILENO, ::getpid());
  }
  // vigil left its working directory before fork; the program starts in the original one.
  if (req.cwd_fd >= 0 && ::fchdir(req.cwd_fd) != 0) {
    SpawnFailure cwd_failure{errno, "chdir"};
    ssize_t w = ::write(err_fd, &cwd_failure, sizeof cwd_failure);
    (void)w;
    ::_exit(126);
  }
  if (listen_field) formatPidInto(listen_field, 20, ::getpid());
  SpawnFailure failure;
  if (req.privs) {
    // Dropped last, after tcsetpgrp (which an unprivileged user could still do, but the
    // terminal may belong to root) and before exec. A half-dropped child never runs the program.
    failure.err = applyPrivPlan(*req.privs, &failure.step);
    if (failure.err != 0) {
      ssize_t w = ::write(err_fd, &failure, sizeof failure);
      (void)w;
      ::_exit(126);
    }
  }
  ::sigprocmask(SIG_SETMASK, &req.mask, nullptr);
  ::execve(path, argv, envp);
  failure.err = errno;
  failure.step = "exec";
  ssize_t w = ::write(err_fd, &failure, sizeof failure);
  (void)w;
  ::_exit(execFailureExitCode(failure.err));
}

}  // namespace

Result<pid_t> spawnChild(const SpawnRequest& req) {
  std::string path_env;
  for (const auto& e : req.env)
    if (e.rfind("PATH=", 0) == 0) path_env = e.substr(5);
  auto path = resolveProgram(req.argv.at(0), path_env);
  if (!path) return path.error();

  // Build argv/envp before fork: the child must not allocate.
  std::vector<std::string> env = req.env;
  if (req.privs && !req.privs->home_env.empty()) {
    std::erase_if(env, [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
    env.push_back(req.privs->home_env);
  }
  size_t listen_index = env.size();
  if (req.listen_pid_of > 0) {
    const std::string ours = "LISTEN_PID=" + std::to_string(req.listen_pid_of);
    for (size_t i = 0; i < env.size(); ++i) {
      if (env[i] == ours) {
        env[i] = "LISTEN_PID=" + std::string(24, '\0');
        listen_index = i;
      }
    }
  }
  std::vector<char*> argv, envp;
  std::vector<std::string> args = req.argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  char* listen_field = listen_index < env.size() ? env[listen_index].data() + 11 : nullptr;

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return systemError("pipe2");
  UniqueFd rd(fds[0]), wr(fds[1]);

  pid_t pid = ::fork();
  if (pid < 0) return systemError("fork");
  if (pid == 0) childAfterFork(req, path->c_str(), argv.data(), envp.data(), listen_field, wr.get());

  // Also set the group from the parent, so that forwarding to -pid works even if a signal
  // arrives before the child has run (setpgid(2) race; EACCES after exec is harmless).
  // Not for a new session: a group leader cannot call setsid().
  if (req.own_group && !req.new_session) ::setpgid(pid, pid);
  wr.reset();
  SpawnFailure failure;
  ssize_t n;
  do {
    n = ::read(rd.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    // The step names are string literals: the same addresses in parent and child after fork.
    if (std::string_view(failure.step) != "exec")
      return Error{failure.err, std::string(kPrivilegeFailure) + failure.step};
    return Error{failure.err, *path};
  }
  return pid;
}

}  // namespace vigil
