// SPDX-License-Identifier: Apache-2.0
// Test workload that orphans N grandchildren onto its parent (the init under test), lets them
// all exit at once, and then counts the zombies the init leaves behind while it still runs.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct Counts {
  int alive;    // children of the init, other than us, not yet dead
  int zombies;  // children of the init in state Z
  int all_zombies;  // zombies anywhere in /proc (the whole namespace when the init is PID 1)
};

// Reads state and ppid from /proc/PID/stat; the command name may hold spaces and ')', so the
// fields are parsed after the last ')' (proc(5)).
static int readStat(const char *pid, char *state, int *ppid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char *rp = strrchr(buf, ')');
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

static void pause10ms(void) {
  struct timespec t = {0, 10 * 1000 * 1000};
  nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fputs("usage: orphaner N RESULTFILE\n"
          "  Orphans N grandchildren, releases them, waits up to 10 s for the init to reap\n"
          "  them and writes 'forked= reparented= zombies= all_zombies= remaining=' to RESULTFILE.\n",
          stderr);
    return 2;
  }
  int n = atoi(argv[1]);
  pid_t init = getppid();
  pid_t self = getpid();

  int release[2], report[2];
  if (pipe2(release, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    perror("orphaner: pipe2");
    return 1;
  }
  pid_t mid = fork();
  if (mid < 0) {
    perror("orphaner: fork");
    return 1;
  }
  if (mid == 0) {
    close(report[0]);
    int forked = 0;
    for (; forked < n; ++forked) {
      pid_t g = fork();
      if (g < 0) break;
      if (g == 0) {
        // Block until the workload closes the release pipe, then die: by then our parent has
        // exited, so the init under test must reap us.
        close(release[1]);
        char c;
        while (read(release[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
      }
    }
    ssize_t w = write(report[1], &forked, sizeof forked);
    (void)w;
    _exit(0);
  }
  close(report[1]);
  close(release[0]);
  int forked = 0;
  if (read(report[0], &forked, sizeof forked) != (ssize_t)sizeof forked) forked = -1;
  int st;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
  }

  // Reparenting is immediate at the middle process's exit; allow a moment for /proc anyway.
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct Counts c = count(init, self);
  while (c.alive < forked && elapsedMs(&t0) < 5000) {
    pause10ms();
    c = count(init, self);
  }
  int reparented = c.alive;

  close(release[1]);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    pause10ms();
    c = count(init, self);
  } while ((c.zombies > 0 || c.alive > 0) && elapsedMs(&t0) < 10000);

  FILE *out = fopen(argv[2], "w");
  if (!out) {
    perror("orphaner: fopen");
    return 1;
  }
  fprintf(out, "forked=%d reparented=%d zombies=%d all_zombies=%d remaining=%d ms=%ld\n", forked,
          reparented, c.zombies, c.all_zombies, c.alive, elapsedMs(&t0));
  fclose(out);
  return 0;
}
