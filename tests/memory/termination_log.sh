#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The termination log must never get in the way of the memory action: an unwritable path is a
# warning; a slow one (here a FIFO whose reader comes late, or never) must neither eat into the
# grace (--mem-grace is the time between the graceful signal and SIGKILL) nor block vigil.
. "$(dirname "$0")/memlib.sh"
require_memory_env

plan 11

D=$(fake_v2 t)
set_file "$D/memory.current" "$ABOVE"
ACT=(--cgroup-root "$D" --mem-limit 50% --mem-sustain 100ms --mem-interval 100ms --mem-grace 1s)

# mem_kill_gap FILE: ms between the SIGTERM and the SIGKILL mem_kill events (-1 if missing).
mem_kill_gap() {
  local a b
  a=$(ev ms "$1" mem_kill 1)
  b=$(ev ms "$1" mem_kill 2)
  if [ "$a" = "<none>" ] || [ "$b" = "<none>" ]; then echo -1; else echo $((b - a)); fi
}

# kill_recorder READYFILE: kills the recorder named there if it outlived vigil.
kill_recorder() {
  local p
  p=$(cat "$1" 2>/dev/null)
  [ -n "$p" ] && pid_alive "$p" && kill -KILL "$p" 2>/dev/null
  return 0
}

# start_reader FIFO OUT: reads FIFO into OUT each time a writer opens it; sets READER.
start_reader() {
  (while [ -p "$1" ]; do cat "$1" >>"$2"; done) &
  READER=$!
}
READER=
# On any exit: stop a reader loop and release a cat waiting in open() on a FIFO.
trap '[ -n "$READER" ] && kill "$READER" 2>/dev/null
      for f in "$TMP"/*.fifo; do [ -p "$f" ] && : 1<>"$f"; done
      _cleanup' EXIT

# stop_reader FIFO: stops the reader loop and releases a cat still waiting in open().
stop_reader() {
  kill "$READER" 2>/dev/null
  wait "$READER" 2>/dev/null
  : 1<>"$1"
  sleep 0.05
}

# --- an unwritable termination log ----------------------------------------------------------
E=$TMP/u.err
RC=0
run_vigil subreaper 20 --log-format json "${ACT[@]}" --termination-log "$TMP/no/such/dir/tlog" \
  -- "$H/sigrecorder" -x 15 -t 20 "$TMP/u.rec" "$TMP/u.ready" 2>"$E" || RC=$?
is "$RC" 137 "unwritable termination log: the action still runs, exit 137"
is "$(cat "$TMP/u.rec" 2>/dev/null)" 15 "unwritable termination log: the child still gets SIGTERM"
like "$(ev get "$E" log,level=warning 1 msg)" 'termination log' "unwritable termination log: a warning names it"

# --- a termination log that takes 0.6 s to open ---------------------------------------------
# The grace must start with the graceful signal, not with the sample that triggered it.
mkfifo "$TMP/slow.fifo"
E=$TMP/slow.err
start_vigil subreaper 20 --log-format json "${ACT[@]}" --termination-log "$TMP/slow.fifo" \
  -- "$H/sigrecorder" -t 20 "$TMP/slow.rec" "$TMP/slow.ready" 2>"$E" || diag "vigil did not start"
wait_for_grep "$E" '"mem_exceeded"' 10 || diag "no mem_exceeded"
sleep 0.6
# A reader for every open (the reason, then the outcome at exit).
start_reader "$TMP/slow.fifo" "$TMP/slow.got"
finish_vigil
stop_reader "$TMP/slow.fifo"
kill_recorder "$TMP/slow.ready"
is "$RC" 137 "slow termination log: exit 137"
is "$(cat "$TMP/slow.rec" 2>/dev/null)" 15 "slow termination log: the child got SIGTERM"
in_range "$(mem_kill_gap "$E")" 950 1700 \
  "slow termination log: the child still gets the full 1 s grace after SIGTERM (ms between the mem_kill events)"
like "$(cat "$TMP/slow.got" 2>/dev/null)" 'Largest processes by RSS' "slow termination log: the reason was written"

# --- a termination log that never opens (a FIFO without reader) -----------------------------
mkfifo "$TMP/stuck.fifo"
E=$TMP/stuck.err
start_vigil subreaper 30 --log-format json "${ACT[@]}" --termination-log "$TMP/stuck.fifo" \
  -- "$H/sigrecorder" -t 30 "$TMP/stuck.rec" "$TMP/stuck.ready" 2>"$E" || diag "vigil did not start"
wait_for_file "$TMP/stuck.ready" || diag "the recorder did not start"
wait_for_grep "$E" '"mem_exceeded"' 10 || diag "no mem_exceeded"
# SIGTERM at once, SIGKILL 1 s later: give it 3 s.
exited=no
wait_gone "$VPID" 3 && exited=yes
got_term=$(cat "$TMP/stuck.rec" 2>/dev/null)
sigkills=$(ev count "$E" mem_kill,signal=SIGKILL)
# Unblock vigil (if it is stuck) so that it can end and reap what it started.
start_reader "$TMP/stuck.fifo" /dev/null
finish_vigil
stop_reader "$TMP/stuck.fifo"
kill_recorder "$TMP/stuck.ready"
is "$exited" yes "a termination log nobody reads does not block vigil: it exits within grace + 2 s"
is "$got_term" 15 "a termination log nobody reads: the child got SIGTERM within grace + 2 s"
is "$sigkills" 1 "a termination log nobody reads: SIGKILL within grace + 2 s"
is "$RC" 137 "a termination log nobody reads: exit 137 in the end"

done_testing
