#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# When the main child exits, leftovers get SIGTERM and, after --cleanup-grace, SIGKILL; vigil
# then exits with the main child's code. --wait-all waits for every descendant instead.
# --pdeathsig gives vigil a signal when its parent dies, which it forwards.
. "$(dirname "$0")/lib.sh"
require_root

plan $((2 * 18))

for mode in $MODES; do
  # --- a leftover that ignores SIGTERM is killed after the grace ------------------------------
  ready=$TMP/$mode.left
  t0=$(now_ms)
  rc=0
  run_vigil "$mode" 20 -vv --cleanup-grace 1s -- sh -c '
    "$0" -i 15 -- sh -c "echo \$\$ > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"; exec sleep 30" &
    while [ ! -s "$1" ]; do sleep 0.02; done
    exit 3' "$H/withsigs" "$ready" 2>"$TMP/$mode.err" || rc=$?
  t1=$(now_ms)
  err=$(cat "$TMP/$mode.err")
  is "$rc" 3 "$mode: with a leftover that ignores SIGTERM, vigil exits with the main child's 3"
  in_range $((t1 - t0)) 950 4500 "$mode: --cleanup-grace 1s: vigil waits about the grace, not longer"
  like "$err" 'reap .*killed by SIGKILL' "$mode: the leftover is reaped, killed by SIGKILL"
  like "$err" 'warning: .*SIGKILL' "$mode: a warning says the grace expired and SIGKILL was sent"

  # --- a leftover that exits on SIGTERM ends the wait at once ---------------------------------
  t0=$(now_ms)
  rc=0
  run_vigil "$mode" 40 -vv --cleanup-grace 30s -- sh -c 'sleep 60 & exit 4' 2>"$TMP/$mode.err" || rc=$?
  t1=$(now_ms)
  err=$(cat "$TMP/$mode.err")
  is "$rc" 4 "$mode: with a leftover that obeys SIGTERM, vigil exits with the main child's 4"
  in_range $((t1 - t0)) 0 4999 "$mode: --cleanup-grace 30s: vigil returns as soon as the leftover is gone"
  like "$err" 'reap .*killed by SIGTERM' "$mode: the leftover is reaped, killed by SIGTERM"

  # --- --wait-all ------------------------------------------------------------------------------
  marker=$TMP/$mode.daemon-done
  t0=$(now_ms)
  rc=0
  # A fork-and-exit daemon: the sleeper is orphaned onto vigil at once.
  run_vigil "$mode" 20 --wait-all -- sh -c '( (sleep 1.5; touch "$0") & ); exit 5' "$marker" \
    2>"$TMP/$mode.err" || rc=$?
  t1=$(now_ms)
  is "$rc" 5 "$mode: --wait-all: vigil exits with the main child's 5"
  check "$mode: --wait-all: vigil exits only after the last descendant finished" test -e "$marker"
  in_range $((t1 - t0)) 1300 10000 "$mode: --wait-all: vigil outlives the main child by the daemon's life"

  # The daemon announces itself only once it is the sleeper, so the SIGTERM cannot race its
  # start-up.
  rdy=$TMP/$mode.daemon-ready
  t0=$(now_ms)
  rc=0
  run_vigil "$mode" 20 -- sh -c '
    ( sh -c "echo \$\$ > \"$0.tmp\"; mv \"$0.tmp\" \"$0\"; exec sleep 3" & )
    while [ ! -s "$0" ]; do sleep 0.02; done
    exit 5' "$rdy" 2>"$TMP/$mode.err" || rc=$?
  t1=$(now_ms)
  is "$rc" 5 "$mode: without --wait-all vigil still exits with the main child's 5"
  in_range $((t1 - t0)) 0 2500 "$mode: without --wait-all the daemon is stopped by SIGTERM at once"

  # --- leftovers that keep forking ------------------------------------------------------------
  # Every descendant must get the SIGTERM, including those forked while vigil sends it; the
  # sleepers obey SIGTERM, so vigil is done long before their 3 s are up. The forker stops by
  # itself after 4000 forks, so that a broken init cannot leave it running.
  t0=$(now_ms)
  rc=0
  run_vigil "$mode" 30 --cleanup-grace 30s -- \
    sh -c 'sh -c "n=0; while [ \$n -lt 4000 ]; do sleep 3 & n=\$((n + 1)); done" &
           sleep 0.3; exit 4' 2>"$TMP/$mode.err" || rc=$?
  t1=$(now_ms)
  is "$rc" 4 "$mode: with a leftover that keeps forking, vigil exits with the main child's 4"
  in_range $((t1 - t0)) 0 2500 \
    "$mode: SIGTERM reaches the processes a leftover forks meanwhile (vigil done before 2.5 s)"
  # The same with SIGTERM ignored: the SIGKILL after the grace must reach every one of them, or
  # vigil waits for the sleepers (6 s) well past the grace.
  t0=$(now_ms)
  rc=0
  run_vigil "$mode" 30 --cleanup-grace 500ms -- \
    sh -c 'sh -c "trap \"\" TERM; n=0; while [ \$n -lt 4000 ]; do sleep 6 & n=\$((n + 1)); done" &
           sleep 0.3; exit 4' \
    2>"$TMP/$mode.err" || rc=$?
  t1=$(now_ms)
  is "$rc" 4 "$mode: with a forking leftover that ignores SIGTERM, vigil exits with the main child's 4"
  in_range $((t1 - t0)) 0 4000 \
    "$mode: the SIGKILL after the grace reaches every descendant (vigil done before 4 s)"

  # --- --pdeathsig -----------------------------------------------------------------------------
  log=$TMP/$mode.pdeath.log
  rdy=$TMP/$mode.pdeath.ready
  if [ "$mode" = pid1 ]; then
    # vigil's parent is unshare: kill it.
    start_vigil pid1 20 -p USR1 -- "$H/sigrecorder" -x 14 "$log" "$rdy"
    wait_for_file "$rdy"
    unshare_pid=$(children_of "$BG" | head -n1)
    kill -KILL "$unshare_pid"
    finish_vigil
    vpid=$VPID
  else
    # vigil's parent is a shell that exits once the recorder is ready.
    timeout -k 3 20 bash -c '"$0" -p USR1 -- "$1" -x 14 "$2" "$3" &
      echo $! > "$4"
      while [ ! -s "$3" ]; do sleep 0.02; done
      exit 0' "$TEST_VIGIL" "$H/sigrecorder" "$log" "$rdy" "$TMP/$mode.vpid"
    vpid=$(cat "$TMP/$mode.vpid")
  fi
  wait_for_lines "$log" 1 5
  sleep 0.1
  is "$(tr '\n' ' ' <"$log" 2>/dev/null)" "10 " "$mode: -p USR1: when vigil's parent dies the child gets SIGUSR1 once"
  kill -s ALRM "$vpid" 2>/dev/null
  check "$mode: -p USR1: the orphaned vigil still forwards signals and exits with its child" \
    wait_gone "$vpid" 5
done

done_testing
