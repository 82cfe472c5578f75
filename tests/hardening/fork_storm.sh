#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A child that forks faster than it reaps: a process under the child forks 5,000 children as
# fast as it can and never waits for any of them; each of them forks a grandchild and exits at
# once, so vigil reaps orphans while the storm goes on, and when the forking process exits its
# 5,000 unreaped children are handed to vigil in one go. The count bounds the storm (root is
# not held by RLIMIT_NPROC). While vigil still runs no zombie is left, its descriptors have not
# grown, and it then exits with the child's code (7). Run as PID 1 and as a subreaper.
. "$(dirname "$0")/hardlib.sh"
require_root
require_helpers storm

N=5000
plan 17

for mode in pid1 subreaper; do
  res=$TMP/$mode.result
  ready=$TMP/$mode.ready
  err=$TMP/$mode.err
  t0=$(now_ms)
  start_vigil "$mode" 170 -w -- "$HH/storm" -e 7 -w 60 forks "$N" "$res" "$ready" 2>"$err" ||
    diag "$mode: vigil did not start"
  wait_for_child "$VPID" 20 >/dev/null || diag "$mode: no child"
  fd0=$(fd_settled "$VPID")
  wait_for_file "$ready" 150 || diag "$mode: the storm did not finish"
  t1=$(now_ms)
  check "$mode: vigil is still running after the storm" alive "$VPID"
  fd1=$(fd_end "$VPID")
  kill -USR1 "$VPID"
  finish_vigil
  line=$(cat "$res" 2>/dev/null)
  diag "$mode: $line; reaped by vigil $(count_lines "$err" '^vigil: warning: reap '); storm done $((t1 - t0)) ms after start; fds $fd0 -> $fd1"
  is "$RC" 7 "$mode: vigil exits with the child's code (7) after the storm"
  is "$(field "$line" forked)" "$N" "$mode: $N children forked and never waited for"
  is "$(field "$line" zombies)" 0 "$mode: no zombie child of vigil is left while it runs"
  is "$(field "$line" remaining)" 0 "$mode: no process of the storm is left alive"
  if [ "$mode" = pid1 ]; then
    is "$(field "$line" all_zombies)" 0 "$mode: no zombie at all in the PID namespace"
  fi
  check_fds "$mode" "$fd0" "$fd1"
  reaped=$(count_lines "$err" '^vigil: warning: reap pid=[0-9]+ status="exited 0" main=false$')
  is "$reaped" "$((2 * N))" "$mode: vigil reaped the $N children and their $N grandchildren itself (one --warn-reap line each)"
  is "$(grep -vc '^vigil: warning: reap ' "$err")" 0 "$mode: and printed nothing else"
  [ "$reaped" = "$((2 * N))" ] || show_head "$err"
done

done_testing
