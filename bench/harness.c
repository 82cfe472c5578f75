// SPDX-License-Identifier: Apache-2.0
// Benchmark helper for bench/run.sh (compiled by it into a temporary directory).
//
//   harness run SPECFILE ROUNDS WARMUP [RESULTFILE]
//       SPECFILE has one command per line, fields separated by TABs: NAME, PATH, ARGV0, ARGS...
//       Runs the commands round-robin (the starting command rotates each round), each as PID 1
//       of a fresh PID + mount namespace with its own /proc (what `unshare --pid --fork
//       --mount-proc` does, without exec'ing unshare), and prints one TSV line per timed run:
//       NAME ROUND WALL_NS WAIT_STATUS CPU_NS EXTRA. WALL_NS runs from just before clone() to
//       the return of wait4(), CLOCK_MONOTONIC; CPU_NS is user + sys of the init and everything
//       it reaped (wait4's rusage); EXTRA is the content of RESULTFILE after the run (the storm
//       writes its numbers there), or "-".
//
//   harness storm N RESULTFILE
//       The workload run under each init: forks N children that each fork one grandchild and
//       exit at once (storm reaps those N children itself). The N grandchildren, now orphans
//       adopted by PID 1, block on a pipe; storm then closes the pipe so that all of them exit
//       together, and polls kill(pid, 0) until every one of them is gone, i.e. reaped by the
//       init. Writes "FORK_NS REAP_NS INIT_CPU_NS INIT_CTXSW" to RESULTFILE (the last two: what
//       PID 1 spent over the reap phase) and exits 0 (1 on failure or timeout).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
  exit(2);
}

/* ---------------------------------------------------------------- storm */

// CPU time PID 1 (the init under test) has run so far, in ns, from /proc/1/schedstat.
static long long init_cpu_ns(void) {
  long long ns = -1;
  FILE *f = fopen("/proc/1/schedstat", "r");
  if (f) {
    if (fscanf(f, "%lld", &ns) != 1) ns = -1;
    fclose(f);
  }
  return ns;
}

// Voluntary + involuntary context switches of PID 1 so far, from /proc/1/status.
static long long init_ctxsw(void) {
  long long total = 0, v;
  char line[256];
  FILE *f = fopen("/proc/1/status", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1 ||
        sscanf(line, "nonvoluntary_ctxt_switches: %lld", &v) == 1)
      total += v;
  fclose(f);
  return total;
}

static int storm(int n, const char *result_path) {
  pid_t *grand = mmap(NULL, sizeof(pid_t) * (size_t)n, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (grand == MAP_FAILED) die("mmap");
  int release[2];
  if (pipe2(release, O_CLOEXEC) != 0) die("pipe2");

  int64_t t0 = now_ns();
  int forked = 0;
  for (int i = 0; i < n; ++i) {
    grand[i] = 0;
    pid_t c = fork();
    if (c < 0) {
      fprintf(stderr, "storm: fork %d: %s\n", i, strerror(errno));
      break;
    }
    if (c == 0) {
      pid_t g = fork();
      if (g == 0) {
        close(release[1]);
        char ch;
        while (read(release[0], &ch, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
      }
      grand[i] = g > 0 ? g : -1;
      _exit(g > 0 ? 0 : 1);
    }
    ++forked;
    while (waitpid(-1, NULL, WNOHANG) > 0) {  // keep our own zombies few
    }
  }
  while (wait(NULL) > 0 || errno == EINTR) {  // every intermediate child is gone: all
  }                                           // grandchildren are orphans of PID 1 now
  int64_t t1 = now_ns();

  int live = 0;
  for (int i = 0; i < forked; ++i)
    if (grand[i] > 0) grand[live++] = grand[i];
  if (live != n) fprintf(stderr, "storm: only %d of %d orphans created\n", live, n);

  // The clock starts before close(): close() itself wakes every orphan, and they begin to exit
  // (and the init to reap) on the other CPUs while it runs.
  long long cpu0 = init_cpu_ns(), sw0 = init_ctxsw();
  int64_t t2 = now_ns();
  close(release[1]);  // all orphans read EOF and exit together
  int64_t deadline = t2 + (int64_t)60 * 1000000000;
  // Wait for each orphan in turn until kill(pid, 0) says ESRCH (a zombie still answers 0; the
  // pid is gone only once the init has reaped it). One kill per check keeps the poller from
  // competing with the init for CPU; resolution is about the 50 us nap.
  struct timespec nap = {0, 50000};
  for (int i = 0; i < live;) {
    if (kill(grand[i], 0) != 0 && errno == ESRCH) {
      ++i;
      continue;
    }
    if (now_ns() > deadline) {
      fprintf(stderr, "storm: %d orphans still not reaped after 60 s\n", live - i);
      return 1;
    }
    nanosleep(&nap, NULL);
  }
  int64_t t3 = now_ns();
  long long cpu1 = init_cpu_ns(), sw1 = init_ctxsw();

  FILE *f = fopen(result_path, "w");
  if (!f) die(result_path);
  fprintf(f, "%lld %lld %lld %lld\n", (long long)(t1 - t0), (long long)(t3 - t2),
          cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0, sw0 < 0 || sw1 < 0 ? -1 : sw1 - sw0);
  fclose(f);
  return forked == n ? 0 : 1;
}

/* ---------------------------------------------------------------- run */

struct cmd {
  char *name;
  char *path;
  char **argv;
};

static int read_spec(const char *file, struct cmd **out) {
  FILE *f = fopen(file, "r");
  if (!f) die(file);
  struct cmd *cmds = NULL;
  int n = 0;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = 0;
    if (!*line) continue;
    char *fields[64];
    int nf = 0;
    for (char *s = strdup(line), *tok; (tok = strsep(&s, "\t")) && nf < 63;) fields[nf++] = tok;
    if (nf < 3) {
      fprintf(stderr, "harness: bad spec line: %s\n", line);
      exit(2);
    }
    cmds = realloc(cmds, sizeof *cmds * (size_t)(n + 1));
    cmds[n].name = fields[0];
    cmds[n].path = fields[1];
    cmds[n].argv = calloc((size_t)nf, sizeof(char *));
    for (int i = 2; i < nf; ++i) cmds[n].argv[i - 2] = fields[i];
    ++n;
  }
  free(line);
  fclose(f);
  *out = cmds;
  return n;
}

static int devnull = -1;

static int64_t run_once(const struct cmd *c, int *status, struct rusage *ru) {
  int64_t t0 = now_ns();
  // Like fork(), plus a new PID namespace (the child is its PID 1) and a new mount namespace.
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0) die("clone");
  if (pid == 0) {
    // What unshare --mount-proc does: private propagation, then a /proc of the new namespace.
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) != 0)
      _exit(125);
    dup2(devnull, STDOUT_FILENO);  // keep our TSV on stdout clean; stderr stays
    execv(c->path, c->argv);
    _exit(127);
  }
  while (wait4(pid, status, 0, ru) < 0)
    if (errno != EINTR) die("wait4");
  return now_ns() - t0;
}

static int run(const char *spec, int rounds, int warmup, const char *result_path) {
  struct cmd *cmds;
  int n = read_spec(spec, &cmds);
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die("/dev/null");
  dup2(devnull, STDIN_FILENO);  // no terminal: no job-control hand-over in any init
  for (int r = 0; r < warmup + rounds; ++r) {
    for (int j = 0; j < n; ++j) {
      const struct cmd *c = &cmds[(r + j) % n];  // rotate who goes first
      if (result_path) unlink(result_path);
      int status = 0;
      struct rusage ru;
      int64_t ns = run_once(c, &status, &ru);
      long long cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                      (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
      char extra[128] = "-";
      if (result_path) {
        FILE *f = fopen(result_path, "r");
        if (f) {
          if (!fgets(extra, sizeof extra, f)) strcpy(extra, "-");
          extra[strcspn(extra, "\n")] = 0;
          fclose(f);
        }
      }
      if (r >= warmup)
        printf("%s\t%d\t%lld\t%d\t%lld\t%s\n", c->name, r - warmup, (long long)ns, status, cpu,
               extra);
      fflush(stdout);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "storm") == 0) return storm(atoi(argv[2]), argv[3]);
  if (argc >= 5 && strcmp(argv[1], "run") == 0)
    return run(argv[2], atoi(argv[3]), atoi(argv[4]), argc >= 6 ? argv[5] : NULL);
  fprintf(stderr, "usage: harness run SPEC ROUNDS WARMUP [RESULT] | harness storm N RESULT\n");
  return 2;
}
