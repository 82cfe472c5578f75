// SPDX-License-Identifier: Apache-2.0
// Starts a program with chosen signal dispositions and mask, as a caller of the init under
// test might: withsigs [-i SIG]... [-b SIG]... [-d SIG]... [--] PROGRAM [ARG...]
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parseSig(const char *text) {
  char *end = NULL;
  long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0 || v >= 65) {
    fprintf(stderr, "withsigs: bad signal number '%s'\n", text);
    exit(2);
  }
  return (int)v;
}

int main(int argc, char **argv) {
  sigset_t block;
  sigemptyset(&block);
  int opt;
  while ((opt = getopt(argc, argv, "+i:b:d:")) != -1) {
    switch (opt) {
      case 'i':
        // SIG_IGN survives execve(2); a handler would not.
        if (signal(parseSig(optarg), SIG_IGN) == SIG_ERR) {
          perror("withsigs: signal");
          return 1;
        }
        break;
      case 'd':
        if (signal(parseSig(optarg), SIG_DFL) == SIG_ERR) {
          perror("withsigs: signal");
          return 1;
        }
        break;
      case 'b':
        sigaddset(&block, parseSig(optarg));
        break;
      default:
        fputs("usage: withsigs [-i SIG]... [-b SIG]... [-d SIG]... [--] PROGRAM [ARG...]\n",
              stderr);
        return 2;
    }
  }
  if (optind >= argc) {
    fputs("withsigs: no program\n", stderr);
    return 2;
  }
  if (sigprocmask(SIG_BLOCK, &block, NULL) != 0) {
    perror("withsigs: sigprocmask");
    return 1;
  }
  execvp(argv[optind], argv + optind);
  fprintf(stderr, "withsigs: %s: %s\n", argv[optind], strerror(errno));
  return 127;
}
