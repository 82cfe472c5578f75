// SPDX-License-Identifier: Apache-2.0
// Process storms for the init under test, which must be this program's parent.
//
//   storm [-e CODE] [-w SECONDS] orphans|forks N RESULT READY
//
// orphans: a subprocess forks N grandchildren that block on a pipe, then exits, so all N are
//   orphaned onto the init at once; then the pipe is closed and all N exit together.
// forks:   a subprocess forks N children as fast as it can and never waits for any of them;
//   each child forks one grandchild and exits at once (the grandchild, orphaned onto the init
//   while the storm goes on, exits at once too). When the subprocess exits, its N unreaped
//   children (zombies) are handed to the init in one go.
//
// Then, while the init still runs, counts until no zombie is left or -w SECONDS (default 20)
// have passed, and writes one line to RESULT:
//   forked=N reparented=N zombies=N all_zombies=N remaining=N eagain=N ms=N
// zombies/remaining: dead/live children of the init other than this program; all_zombies:
// zombies anywhere in /proc (the whole PID namespace when the init is its PID 1; waited for
// only then);
// reparented: orphans seen as the init's children before release (orphans mode); eagain:
// forks retried because the kernel said EAGAIN. READY is created afterwards; the program then
// waits for SIGUSR1 and exits CODE (-e, default 0). SIGTERM and the rest keep their defaults.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct Counts {
  int alive;
  int zombies;
  int all_zombies;
};

static int readStat(const char *pid, char *state, int *ppid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char *rp = strrchr(buf, ')');  // comm may hold spaces and ')' (proc(5))
  if (!rp) return -1;
  if (sscanf(rp + 1, " %c %d", state, ppid) != 2) return -1;
  return 0;
}

static struct Counts count(pid_t init, pid_t self) {
  struct Counts c = {0, 0, 0};
  DIR *d = opendir("/proc");
  if (!d) return c;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
    char state;
    int ppid;
    if (readStat(de->d_name, &state, &ppid) != 0) continue;
    if (state == 'Z') c.all_zombies++;
    if (ppid != init || atoi(de->d_name) == self) continue;
    if (state == 'Z')
      c.zombies++;
    else
      c.alive++;
  }
  closedir(d);
  return c;
}

static long elapsedMs(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void sleepMs(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000 * 1000};
  nanosleep(&t, NULL);
}

// fork(2), retried a bounded number of times while the kernel is short of processes.
static pid_t forkRetrying(int *eagain) {
  for (int tries = 0;; ++tries) {
    pid_t p = fork();
    if (p >= 0 || errno != EAGAIN || tries >= 1000) return p;
    (*eagain)++;
    sleepMs(1);
  }
}

struct Report {
  int forked;
  int eagain;
};

// The subprocess of "orphans": N blocked grandchildren, then exit.
static void orphans(int n, int release_fd, int release_wr, int report_fd) {
  struct Report r = {0, 0};
  for (; r.forked < n; ++r.forked) {
    pid_t g = forkRetrying(&r.eagain);
    if (g < 0) break;
    if (g == 0) {
      close(release_wr);
      char c;
      while (read(release_fd, &c, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
  }
  ssize_t w = write(report_fd, &r, sizeof r);
  _exit(w == (ssize_t)sizeof r ? 0 : 1);
}

// The subprocess of "forks": N children never waited for, each with one grandchild.
static void forks(int n, int report_fd) {
  struct Report r = {0, 0};
  for (; r.forked < n; ++r.forked) {
    pid_t c = forkRetrying(&r.eagain);
    if (c < 0) break;
    if (c == 0) {
      pid_t g = fork();
      if (g == 0) _exit(0);
      _exit(g > 0 ? 0 : 1);
    }
  }
  ssize_t w = write(report_fd, &r, sizeof r);
  _exit(w == (ssize_t)sizeof r ? 0 : 1);
}

int main(int argc, char **argv) {
  int code = 0;
  long wait_s = 20;
  int opt;
  while ((opt = getopt(argc, argv, "+e:w:")) != -1) {
    switch (opt) {
      case 'e':
        code = atoi(optarg);
        break;
      case 'w':
        wait_s = atol(optarg);
        break;
      default:
        goto usage;
    }
  }
  if (argc - optind != 4) goto usage;
  const char *mode = argv[optind];
  int n = atoi(argv[optind + 1]);
  const char *result = argv[optind + 2];
  const char *ready = argv[optind + 3];
  int orphan_mode = strcmp(mode, "orphans") == 0;
  if (!orphan_mode && strcmp(mode, "forks") != 0) goto usage;

  // SIGUSR1 ends the program; block it now so none is lost before sigwait.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);

  pid_t init = getppid();
  pid_t self = getpid();
  int release[2], report[2];
  if (pipe2(release, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    perror("storm: pipe2");
    return 1;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t mid = fork();
  if (mid < 0) {
    perror("storm: fork");
    return 1;
  }
  if (mid == 0) {
    close(report[0]);
    if (orphan_mode) orphans(n, release[0], release[1], report[1]);
    forks(n, report[1]);
  }
  close(report[1]);
  close(release[0]);
  struct Report r = {-1, 0};
  if (read(report[0], &r, sizeof r) != (ssize_t)sizeof r) r.forked = -1;
  int st;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
  }
  long fork_ms = elapsedMs(&t0);

  int reparented = -1;
  struct Counts c;
  if (orphan_mode) {
    // Reparenting happens at the subprocess's exit; give /proc a moment to show it.
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c = count(init, self);
    while (c.alive < r.forked && elapsedMs(&t0) < 10000) {
      sleepMs(10);
      c = count(init, self);
    }
    reparented = c.alive;
    close(release[1]);
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    sleepMs(10);
    c = count(init, self);
  } while ((c.zombies > 0 || c.alive > 0 || (init == 1 && c.all_zombies > 0)) &&
           elapsedMs(&t0) < wait_s * 1000);

  FILE *out = fopen(result, "w");
  if (!out) {
    perror("storm: fopen");
    return 1;
  }
  fprintf(out,
          "forked=%d reparented=%d zombies=%d all_zombies=%d remaining=%d eagain=%d "
          "fork_ms=%ld reap_ms=%ld\n",
          r.forked, reparented, c.zombies, c.all_zombies, c.alive, r.eagain, fork_ms,
          elapsedMs(&t0));
  fclose(out);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", ready);
  FILE *rf = fopen(tmp, "w");
  if (!rf || fprintf(rf, "%d\n", (int)self) < 0 || fclose(rf) != 0 || rename(tmp, ready) != 0) {
    perror("storm: ready file");
    return 1;
  }
  int sig = 0;
  sigwait(&usr1, &sig);
  return code;

usage:
  fputs("usage: storm [-e CODE] [-w SECONDS] orphans|forks N RESULT READY\n", stderr);
  return 2;
}
