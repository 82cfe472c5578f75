// SPDX-License-Identifier: Apache-2.0
// Test workload that leaks memory at a steady rate, writing every page so that
// it is charged to its cgroup. Build: gcc -std=c11 -static -O2 -o leaker leaker.c
#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum TermMode { kTermDefault, kTermExit, kTermIgnore };

static volatile sig_atomic_t term_exit_code = 0;

static void usage(FILE *out) {
  fputs(
      "usage: leaker [OPTIONS]\n"
      "  -r, --rate MB       leak MB MiB per second (default 10)\n"
      "  -l, --limit MB      stop leaking after MB MiB and hold the memory (default: no limit)\n"
      "  -t, --on-term MODE  SIGTERM handling: default | ignore | exit[=CODE] (prints\n"
      "                      'leaker: got SIGTERM' and exits CODE, default 0)\n"
      "  -T, --ticks N       allocation steps per second (default 10; more is smoother)\n"
      "  -q, --quiet         no progress lines\n"
      "  -h, --help\n",
      out);
}

// Async-signal-safe: only write(2) and _exit(2) (signal-safety(7)).
static void onTerm(int signo) {
  (void)signo;
  static const char kMsg[] = "leaker: got SIGTERM\n";
  ssize_t ignored = write(STDOUT_FILENO, kMsg, sizeof kMsg - 1);
  (void)ignored;
  _exit(term_exit_code);
}

static int parseUnsigned(const char *text, unsigned long *out) {
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return -1;
  *out = v;
  return 0;
}

static int parseTermMode(const char *text, enum TermMode *mode) {
  if (strcmp(text, "default") == 0) {
    *mode = kTermDefault;
  } else if (strcmp(text, "ignore") == 0) {
    *mode = kTermIgnore;
  } else if (strcmp(text, "exit") == 0) {
    *mode = kTermExit;
    term_exit_code = 0;
  } else if (strncmp(text, "exit=", 5) == 0) {
    unsigned long code;
    if (parseUnsigned(text + 5, &code) != 0 || code > 255) return -1;
    *mode = kTermExit;
    term_exit_code = (sig_atomic_t)code;
  } else {
    return -1;
  }
  return 0;
}

static int installTermHandler(enum TermMode mode) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  switch (mode) {
    case kTermDefault:
      sa.sa_handler = SIG_DFL;
      break;
    case kTermIgnore:
      sa.sa_handler = SIG_IGN;
      break;
    case kTermExit:
      sa.sa_handler = onTerm;
      break;
  }
  // An init may start us with SIGTERM blocked; unblock it so the mode applies.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  if (sigprocmask(SIG_UNBLOCK, &set, NULL) != 0) return -1;
  return sigaction(SIGTERM, &sa, NULL);
}

static void addNs(struct timespec *t, long ns) {
  t->tv_nsec += ns;
  while (t->tv_nsec >= 1000000000L) {
    t->tv_nsec -= 1000000000L;
    t->tv_sec++;
  }
}

int main(int argc, char **argv) {
  unsigned long rate_mb = 10;
  unsigned long limit_mb = 0;
  enum TermMode mode = kTermDefault;
  int quiet = 0;
  unsigned long ticks = 10;

  static const struct option kOptions[] = {
      {"rate", required_argument, NULL, 'r'},  {"limit", required_argument, NULL, 'l'},
      {"on-term", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
      {"ticks", required_argument, NULL, 'T'},
      {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
  };
  int opt;
  while ((opt = getopt_long(argc, argv, "r:l:t:T:qh", kOptions, NULL)) != -1) {
    switch (opt) {
      case 'r':
        if (parseUnsigned(optarg, &rate_mb) != 0 || rate_mb == 0) {
          fprintf(stderr, "leaker: --rate: expected a positive number of MiB, got '%s'\n", optarg);
          return 2;
        }
        break;
      case 'l':
        if (parseUnsigned(optarg, &limit_mb) != 0) {
          fprintf(stderr, "leaker: --limit: expected a number of MiB, got '%s'\n", optarg);
          return 2;
        }
        break;
      case 't':
        if (parseTermMode(optarg, &mode) != 0) {
          fprintf(stderr, "leaker: --on-term: expected default, ignore or exit[=CODE], got '%s'\n",
                  optarg);
          return 2;
        }
        break;
      case 'T':
        if (parseUnsigned(optarg, &ticks) != 0 || ticks == 0 || ticks > 10000) {
          fprintf(stderr, "leaker: --ticks: expected 1-10000, got '%s'\n", optarg);
          return 2;
        }
        break;
      case 'q':
        quiet = 1;
        break;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "leaker: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }

  // Unbuffered, so every line reaches a console or pipe before an OOM kill.
  setvbuf(stdout, NULL, _IONBF, 0);
  setvbuf(stderr, NULL, _IONBF, 0);

  if (installTermHandler(mode) != 0) {
    fprintf(stderr, "leaker: sigaction: %s\n", strerror(errno));
    return 1;
  }

  // Ten steps a second keeps the growth smooth enough for a sampling watcher; fast leaks in
  // benchmarks use more, smaller steps so that growth is not one burst.
  const long kTicksPerSecond = (long)ticks;
  const size_t step = (size_t)rate_mb * 1024 * 1024 / (size_t)kTicksPerSecond;
  const uint64_t limit = (uint64_t)limit_mb * 1024 * 1024;
  uint64_t total = 0;
  long tick = 0;

  printf("leaker: pid %d, rate %lu MiB/s, limit %lu MiB\n", (int)getpid(), rate_mb, limit_mb);

  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (;;) {
    if (limit == 0 || total < limit) {
      size_t len = step;
      if (limit != 0 && total + len > limit) len = (size_t)(limit - total);
      void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) {
        fprintf(stderr, "leaker: mmap %zu bytes: %s\n", len, strerror(errno));
        return 1;
      }
      // Writing, not just mapping, makes the kernel allocate and charge each page.
      memset(p, 0x5a, len);
      total += len;
      if (limit != 0 && total >= limit && !quiet) {
        printf("leaker: reached limit, holding %llu MiB\n", (unsigned long long)(total >> 20));
      }
    }
    tick++;
    if (!quiet && tick % kTicksPerSecond == 0) {
      printf("leaker: %llu MiB\n", (unsigned long long)(total >> 20));
    }
    addNs(&next, 1000000000L / kTicksPerSecond);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
    }
  }
}
