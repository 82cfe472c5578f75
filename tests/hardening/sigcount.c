// SPDX-License-Identifier: Apache-2.0
// Test workload that counts every signal it receives, per signal number, and writes the counts
// on request. Unlike a recorder that logs each signal, it keeps up with a storm of 100,000.
//
//   sigcount [-d SIG] [-x SIG] [-e CODE] [-k SIG]... [-t SECONDS] RESULT READY
//
// READY is created (holding the pid) once every handler is in place. On the dump signal (-d)
// the counts are written to RESULT ("SIGNUM COUNT" lines, only signals seen, then "end"); on
// the exit signal (-x) they are written and the program exits CODE (-e, default 0). Signals
// named with -k keep their default disposition (e.g. SIGTERM, to be killed by it). After -t
// SECONDS (default 60) it exits 3.
//
// Counting happens in the handler with every signal blocked, the writing in the main loop:
// a real-time signal delivered while RESULT is written is counted, never lost.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NSIG_MAX 65

static volatile unsigned long counts[NSIG_MAX];
static volatile sig_atomic_t dump_requested = 0;
static volatile sig_atomic_t exit_requested = 0;
static int dump_sig = 0;
static int exit_sig = 0;

static void onSignal(int signo) {
  counts[signo]++;
  if (signo == dump_sig) dump_requested = 1;
  if (signo == exit_sig) exit_requested = 1;
}

static int parseSig(const char *text) {
  char *end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v <= 0 || v >= NSIG_MAX) {
    fprintf(stderr, "sigcount: bad signal number '%s'\n", text);
    exit(2);
  }
  return (int)v;
}

static void usage(void) {
  fputs("usage: sigcount [-d SIG] [-x SIG] [-e CODE] [-k SIG]... [-t SECONDS] RESULT READY\n",
        stderr);
  exit(2);
}

// Writes the counts under a temporary name and renames it, so RESULT is never seen half done.
static void dump(const char *path) {
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  unsigned long snapshot[NSIG_MAX];
  for (int s = 0; s < NSIG_MAX; ++s) snapshot[s] = counts[s];
  sigprocmask(SIG_SETMASK, &old, NULL);

  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    perror("sigcount: fopen");
    return;
  }
  for (int s = 1; s < NSIG_MAX; ++s)
    if (snapshot[s] > 0) fprintf(f, "%d %lu\n", s, snapshot[s]);
  fputs("end\n", f);
  fclose(f);
  if (rename(tmp, path) != 0) perror("sigcount: rename");
}

int main(int argc, char **argv) {
  int exit_code = 0;
  long lifetime = 60;
  int keep_default[NSIG_MAX] = {0};
  int opt;
  while ((opt = getopt(argc, argv, "+d:x:e:k:t:")) != -1) {
    switch (opt) {
      case 'd':
        dump_sig = parseSig(optarg);
        break;
      case 'x':
        exit_sig = parseSig(optarg);
        break;
      case 'e':
        exit_code = atoi(optarg);
        break;
      case 'k':
        keep_default[parseSig(optarg)] = 1;
        break;
      case 't':
        lifetime = atol(optarg);
        if (lifetime <= 0) usage();
        break;
      default:
        usage();
    }
  }
  if (argc - optind != 2) usage();
  const char *result = argv[optind];
  const char *ready = argv[optind + 1];

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onSignal;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);  // handlers never nest: each count is one plain increment
  for (int s = 1; s < NSIG_MAX; ++s) {
    if (s == SIGKILL || s == SIGSTOP || keep_default[s]) continue;
    (void)sigaction(s, &sa, NULL);  // glibc refuses 32 and 33; nothing sends them
  }
  for (int s = 1; s < NSIG_MAX; ++s)
    if (keep_default[s]) signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", ready);
  FILE *f = fopen(tmp, "w");
  if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, ready) != 0) {
    perror("sigcount: ready file");
    return 1;
  }

  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (dump_requested || exit_requested) {
      dump_requested = 0;
      dump(result);
      if (exit_requested) return exit_code;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= lifetime) return 3;
    struct timespec tick = {0, 20 * 1000 * 1000};
    nanosleep(&tick, NULL);
  }
}
