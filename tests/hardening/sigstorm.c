// SPDX-License-Identifier: Apache-2.0
// Sends a storm of signals at one process from several sender processes in parallel.
//
//   sigstorm PID TOTAL SENDERS SIG[,SIG...]
//
// TOTAL signals are shared out among SENDERS forked processes; sender i sends its share cycling
// through the list starting at entry i, so every kind is in flight from every sender at once.
// Standard signals are sent with kill(2): while one is pending, another of the same kind is
// merged into it (signal(7)), and kill still succeeds. Real-time signals are sent with
// sigqueue(3): they queue, and when the receiver's queue is full the kernel says EAGAIN instead
// of dropping one silently, so the sender waits a moment and sends it again. Every signal is
// therefore really sent once. Prints one "SIGNUM SENT" line per kind, then
// "total=N eagain=N failed=N" (failed: an error other than EAGAIN, e.g. the target is gone).
// Exit status 0 when every signal was sent, 1 otherwise.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NSIG_MAX 65
#define MAX_KINDS 64

struct Tally {
  unsigned long sent[NSIG_MAX];
  unsigned long eagain;
  unsigned long failed;
};

static void pauseBriefly(void) {
  struct timespec t = {0, 200 * 1000};
  nanosleep(&t, NULL);
}

static void sendShare(pid_t target, long count, const int *kinds, int nkinds, int first,
                      struct Tally *t) {
  for (long i = 0; i < count; ++i) {
    int sig = kinds[(first + i) % nkinds];
    for (;;) {
      int rc;
      if (sig >= SIGRTMIN) {
        union sigval v = {.sival_int = (int)i};
        rc = sigqueue(target, sig, v);
      } else {
        rc = kill(target, sig);
      }
      if (rc == 0) {
        t->sent[sig]++;
        break;
      }
      if (errno == EAGAIN) {
        t->eagain++;
        pauseBriefly();
        continue;
      }
      t->failed++;
      break;
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fputs("usage: sigstorm PID TOTAL SENDERS SIG[,SIG...]\n", stderr);
    return 2;
  }
  pid_t target = (pid_t)atol(argv[1]);
  long total = atol(argv[2]);
  int senders = atoi(argv[3]);
  int kinds[MAX_KINDS];
  int nkinds = 0;
  for (char *tok = strtok(argv[4], ","); tok && nkinds < MAX_KINDS; tok = strtok(NULL, ",")) {
    int s = atoi(tok);
    if (s <= 0 || s >= NSIG_MAX || s == SIGKILL || s == SIGSTOP) {
      fprintf(stderr, "sigstorm: bad signal '%s'\n", tok);
      return 2;
    }
    kinds[nkinds++] = s;
  }
  if (target <= 0 || total <= 0 || senders <= 0 || nkinds == 0) {
    fputs("sigstorm: bad arguments\n", stderr);
    return 2;
  }

  int fds[2];
  if (pipe(fds) != 0) {
    perror("sigstorm: pipe");
    return 1;
  }
  // The senders start together: each waits for the start pipe to close.
  int go[2];
  if (pipe(go) != 0) {
    perror("sigstorm: pipe");
    return 1;
  }
  for (int s = 0; s < senders; ++s) {
    long share = total / senders + (s < total % senders ? 1 : 0);
    pid_t p = fork();
    if (p < 0) {
      perror("sigstorm: fork");
      return 1;
    }
    if (p == 0) {
      close(fds[0]);
      close(go[1]);
      char c;
      while (read(go[0], &c, 1) < 0 && errno == EINTR) {
      }
      struct Tally t;
      memset(&t, 0, sizeof t);
      sendShare(target, share, kinds, nkinds, s % nkinds, &t);
      ssize_t w = write(fds[1], &t, sizeof t);  // < PIPE_BUF: one atomic write
      _exit(w == (ssize_t)sizeof t ? 0 : 1);
    }
  }
  close(fds[1]);
  close(go[0]);
  close(go[1]);

  struct Tally sum;
  memset(&sum, 0, sizeof sum);
  int reports = 0;
  struct Tally t;
  for (;;) {
    ssize_t n = read(fds[0], &t, sizeof t);
    if (n < 0 && errno == EINTR) continue;
    if (n != (ssize_t)sizeof t) break;
    reports++;
    for (int s = 0; s < NSIG_MAX; ++s) sum.sent[s] += t.sent[s];
    sum.eagain += t.eagain;
    sum.failed += t.failed;
  }
  while (wait(NULL) > 0 || errno == EINTR) {
  }
  unsigned long all = 0;
  for (int s = 1; s < NSIG_MAX; ++s) {
    if (sum.sent[s] == 0) continue;
    printf("%d %lu\n", s, sum.sent[s]);
    all += sum.sent[s];
  }
  printf("total=%lu eagain=%lu failed=%lu senders=%d/%d\n", all, sum.eagain, sum.failed, reports,
         senders);
  return all == (unsigned long)total && reports == senders ? 0 : 1;
}
