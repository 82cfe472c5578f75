// SPDX-License-Identifier: Apache-2.0
// Test workload that records every signal it receives, one decimal number per line, so that
// integration tests can check what an init forwarded and how many times.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static sigset_t exit_set;
static volatile sig_atomic_t exit_requested = 0;

static void usage(void) {
  fputs("usage: sigrecorder [-x SIGNUM]... [-t SECONDS] LOGFILE READYFILE\n"
        "  Installs a handler for every catchable signal and appends the number of each\n"
        "  received signal to LOGFILE. Creates READYFILE once the handlers are in place.\n"
        "  -x SIGNUM   exit 0 after recording SIGNUM (repeatable)\n"
        "  -t SECONDS  exit 3 after SECONDS even if nothing arrives (default 30)\n",
        stderr);
}

// Async-signal-safe: only write(2) on an O_APPEND descriptor (signal-safety(7)), so each line
// lands whole even when several recorders share a log.
static void onSignal(int signo) {
  int saved = errno;
  char buf[16];
  int n = 0;
  char digits[12];
  int d = 0;
  int v = signo;
  do {
    digits[d++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (d > 0) buf[n++] = digits[--d];
  buf[n++] = '\n';
  ssize_t w = write(log_fd, buf, (size_t)n);
  (void)w;
  if (sigismember(&exit_set, signo)) exit_requested = 1;
  errno = saved;
}

static long parseLong(const char *text) {
  char *end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') return -1;
  return v;
}

int main(int argc, char **argv) {
  long lifetime = 30;
  sigemptyset(&exit_set);
  int opt;
  while ((opt = getopt(argc, argv, "+x:t:")) != -1) {
    long v;
    switch (opt) {
      case 'x':
        v = parseLong(optarg);
        if (v <= 0 || v >= 65) {
          usage();
          return 2;
        }
        sigaddset(&exit_set, (int)v);
        break;
      case 't':
        lifetime = parseLong(optarg);
        if (lifetime <= 0) {
          usage();
          return 2;
        }
        break;
      default:
        usage();
        return 2;
    }
  }
  if (argc - optind != 2) {
    usage();
    return 2;
  }
  log_fd = open(argv[optind], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    fprintf(stderr, "sigrecorder: %s: %s\n", argv[optind], strerror(errno));
    return 1;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onSignal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < 65; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    // glibc refuses 32 and 33 (its own real-time signals); nothing sends them here.
    (void)sigaction(sig, &sa, NULL);
  }
  // Whatever mask we were started with, record everything.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  // Written under a temporary name and renamed, so that READYFILE never exists half-written.
  char tmp_path[4096];
  snprintf(tmp_path, sizeof tmp_path, "%s.tmp", argv[optind + 1]);
  int ready = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (ready < 0) {
    fprintf(stderr, "sigrecorder: %s: %s\n", tmp_path, strerror(errno));
    return 1;
  }
  char line[32];
  int len = snprintf(line, sizeof line, "%d\n", (int)getpid());
  ssize_t w = write(ready, line, (size_t)len);
  (void)w;
  close(ready);
  if (rename(tmp_path, argv[optind + 1]) != 0) {
    fprintf(stderr, "sigrecorder: rename %s: %s\n", tmp_path, strerror(errno));
    return 1;
  }

  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (exit_requested) return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= lifetime) return 3;
    // Interrupted early by any signal; the short period bounds the exit check's latency.
    struct timespec tick = {0, 50 * 1000 * 1000};
    nanosleep(&tick, NULL);
  }
}
