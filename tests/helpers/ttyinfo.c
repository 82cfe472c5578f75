// SPDX-License-Identifier: Apache-2.0
// Prints this process's group and its terminal's foreground group, to check that an init
// handed the terminal to its child: "pgrp=N tpgid=M".
#include <stdio.h>
#include <unistd.h>

int main(void) {
  pid_t pgrp = getpgrp();
  pid_t fg = tcgetpgrp(STDIN_FILENO);
  printf("pgrp=%d tpgid=%d\n", (int)pgrp, (int)fg);
  return fg == pgrp ? 0 : 1;
}
