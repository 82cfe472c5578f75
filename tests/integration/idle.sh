#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# No polling when idle: with the memory watcher off, vigil is not scheduled at all (zero
# context switches) while its child sleeps.
. "$(dirname "$0")/lib.sh"
require_root

plan 4

# switches PID: voluntary + involuntary context switches so far ("unknown" without PID).
switches() {
  if [ -n "$1" ] && [ -r "/proc/$1/status" ]; then
    awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ {n += $2} END {print n + 0}' "/proc/$1/status"
  else
    echo unknown
  fi
}

# Both modes run side by side to halve the wait.
declare -A bg vpid
for mode in $MODES; do
  start_vigil "$mode" 30 -- sh -c 'echo $$ > "$0.tmp"; mv "$0.tmp" "$0"; exec sleep 60' "$TMP/$mode.ready" ||
    diag "$mode: vigil did not start"
  bg[$mode]=$BG vpid[$mode]=$VPID
done
for mode in $MODES; do wait_for_file "$TMP/$mode.ready"; done
sleep 0.5  # let vigil finish its start-up and block in epoll_wait
declare -A before
for mode in $MODES; do before[$mode]=$(switches "${vpid[$mode]}"); done
sleep 3
for mode in $MODES; do
  after=$(switches "${vpid[$mode]}")
  if [ "$after" = unknown ] || [ "${before[$mode]}" = unknown ]; then
    not_ok "$mode: vigil has no context switch in 3 s while its child sleeps"
    diag "vigil's pid is unknown or it is gone"
  else
    is "$((after - before[$mode]))" 0 "$mode: vigil has no context switch in 3 s while its child sleeps"
  fi
done
for mode in $MODES; do
  [ -n "${vpid[$mode]}" ] && kill -s TERM "${vpid[$mode]}"
  BG=${bg[$mode]}
  finish_vigil
  is "$RC" 143 "$mode: afterwards SIGTERM still reaches the child (vigil exits 143)"
done

done_testing
