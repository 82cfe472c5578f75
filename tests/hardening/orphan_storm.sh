#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# An orphan storm: the child orphans 20,000 grandchildren onto vigil at once, then lets them
# all exit together. While vigil still runs no zombie is left (in the whole PID namespace when
# vigil is its PID 1), vigil's descriptors have not grown, and it then exits with the child's
# code (7). Run as PID 1 (counting vigil's reaps with --warn-reap) and as a subreaper.
. "$(dirname "$0")/hardlib.sh"
require_root
require_helpers storm

N=20000
plan 18

for mode in pid1 subreaper; do
  res=$TMP/$mode.result
  ready=$TMP/$mode.ready
  err=$TMP/$mode.err
  t0=$(now_ms)
  # --warn-reap prints one line per orphan reaped: counted as PID 1. Under the sanitizers the
  # 20,000 lines cost about 20 s, so the subreaper run goes without them.
  warn=()
  [ "$mode" = pid1 ] && warn=(-w)
  start_vigil "$mode" 170 "${warn[@]}" -- "$HH/storm" -e 7 -w 60 orphans "$N" "$res" "$ready" 2>"$err" ||
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
  reaps="not counted"
  [ "$mode" = pid1 ] && reaps=$(count_lines "$err" '^vigil: warning: reap ')
  diag "$mode: $line; reaped by vigil: $reaps; storm done $((t1 - t0)) ms after start; fds $fd0 -> $fd1"
  is "$RC" 7 "$mode: vigil exits with the child's code (7) after the storm"
  is "$(field "$line" forked)" "$N" "$mode: the child orphaned $N grandchildren"
  is "$(field "$line" reparented)" "$N" "$mode: all $N orphans were reparented to vigil"
  is "$(field "$line" zombies)" 0 "$mode: no zombie child of vigil is left while it runs"
  is "$(field "$line" remaining)" 0 "$mode: no orphan is left alive"
  if [ "$mode" = pid1 ]; then
    is "$(field "$line" all_zombies)" 0 "$mode: no zombie at all in the PID namespace"
  fi
  check_fds "$mode" "$fd0" "$fd1"
  if [ "$mode" = pid1 ]; then
    reaped=$(count_lines "$err" '^vigil: warning: reap pid=[0-9]+ status="exited 0" main=false$')
    is "$reaped" "$N" "$mode: vigil reaped the $N orphans itself (one --warn-reap line each)"
    is "$(grep -vc '^vigil: warning: reap ' "$err")" 0 "$mode: and printed nothing else"
  else
    is "$(grep -c . "$err")" 0 "$mode: vigil printed nothing at the default verbosity"
  fi
  show_head "$err"
done

done_testing
