#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Signals sent to vigil from outside reach its signal target once each (after --rewrite and
# --delay); SIGCHLD is never forwarded. A recorder workload logs every signal it gets.
. "$(dirname "$0")/lib.sh"
require_root

# name and number of each signal sent; 37 is SIGRTMIN+3 under glibc (SIGRTMIN = 34).
SIGNALS="TERM:15 INT:2 HUP:1 QUIT:3 USR1:10 USR2:12 WINCH:28 CONT:18 TSTP:20 RTMIN+3:37 SEGV:11 BUS:7"
n_signals=$(wc -w <<<"$SIGNALS")
STOP=14  # SIGALRM ends each recorder

plan $((2 * (n_signals + 5) + 2 * 2 + 2 * 3 + 2 + 2 * 4 + 2 + 2 * 2 + 2 * 2 + 2 * 4))

run=0
# start_recorder MODE [VIGIL-ARGS...]: vigil runs one recorder as its child. Sets LOG.
start_recorder() {
  local mode=$1
  shift
  run=$((run + 1))
  LOG=$TMP/r$run.log
  start_vigil "$mode" 30 "$@" -- "$H/sigrecorder" -x $STOP "$LOG" "$TMP/r$run.ready" \
    && wait_for_file "$TMP/r$run.ready"
}

# stop_recorder DESCRIPTION: SIGALRM ends the recorder, then vigil; checks that vigil exits 0.
stop_recorder() {
  kill -s ALRM "$VPID" 2>/dev/null
  finish_vigil
  is "$RC" 0 "$1"
}

count_of() { grep -cx -- "$2" "$1" 2>/dev/null; }
log_words() { tr '\n' ' ' <"$1" 2>/dev/null | sed 's/ $//'; }

for mode in $MODES; do
  # --- every forwardable signal, once each -------------------------------------------------
  if ! start_recorder "$mode"; then
    diag "$mode: the recorder did not start"
  fi
  sent=0
  expected=""
  for entry in $SIGNALS; do
    name=${entry%%:*} num=${entry##*:}
    kill -s "$name" "$VPID" 2>/dev/null || kill "-$num" "$VPID"
    sent=$((sent + 1))
    expected="$expected${expected:+ }$num"
    wait_for_lines "$LOG" "$sent" 5 || diag "$mode: SIG$name not recorded within 5 s"
  done
  kill -s CHLD "$VPID"
  kill -s TTIN "$VPID"
  kill -s TTOU "$VPID"
  # Signals are handled in order; once a later one arrives, the earlier ones had their chance.
  kill -s PWR "$VPID"
  wait_for_lines "$LOG" $((sent + 1)) 5
  sleep 0.2
  for entry in $SIGNALS; do
    name=${entry%%:*} num=${entry##*:}
    is "$(count_of "$LOG" "$num")" 1 "$mode: SIG$name sent to vigil reaches the child exactly once"
  done
  is "$(count_of "$LOG" 17)" 0 "$mode: SIGCHLD sent to vigil is not forwarded"
  is "$(grep -cxE '21|22' "$LOG")" 0 "$mode: SIGTTIN and SIGTTOU sent to vigil are not forwarded"
  is "$(log_words "$LOG")" "$expected 30" "$mode: the child got exactly the signals sent, in order"
  state=$(proc_state "$VPID")
  isnt "$state" T "$mode: vigil itself was not stopped by SIGTSTP, SIGTTIN or SIGTTOU"
  stop_recorder "$mode: vigil exits 0 once the recorder exits"
done

# --- a signal the caller ignored is still forwarded --------------------------------------------
# vigil starts with SIGUSR1 ignored (as after `trap '' USR1`); it still relays one sent to it.
for mode in $MODES; do
  WRAPPER="$H/withsigs -i 10 --"
  start_recorder "$mode" || diag "$mode: the recorder did not start"
  WRAPPER=""
  kill -s USR1 "$VPID"
  wait_for_lines "$LOG" 1 5
  is "$(log_words "$LOG")" 10 "$mode: a signal ignored by vigil's caller is still forwarded"
  stop_recorder "$mode: vigil started with SIGUSR1 ignored exits 0"
done

# --- group forwarding: a grandchild in the child's process group ---------------------------
# group_tree MODE VIGIL-ARGS...: vigil's child is a recorder (c) with a recorder grandchild (g)
# in its process group. Both exit on SIGALRM; the grandchild also on SIGTERM (cleanup).
group_tree() {
  local mode=$1
  shift
  run=$((run + 1))
  C=$TMP/c$run G=$TMP/g$run
  start_vigil "$mode" 30 "$@" -- sh -c \
    '"$0" -x 14 -x 15 "$1.log" "$1.ready" & exec "$0" -x 14 "$2.log" "$2.ready"' \
    "$H/sigrecorder" "$G" "$C" && wait_for_file "$C.ready" && wait_for_file "$G.ready"
}

for mode in $MODES; do
  if [ "$mode" = pid1 ]; then opt=(-g); else opt=(--signal-target group); fi
  group_tree "$mode" "${opt[@]}" || diag "$mode: the process tree did not start"
  kill -s USR1 "$VPID"
  wait_for_lines "$C.log" 1 5
  wait_for_lines "$G.log" 1 5
  is "$(log_words "$C.log")" 10 "$mode: ${opt[*]}: the child gets SIGUSR1"
  is "$(log_words "$G.log")" 10 "$mode: ${opt[*]}: the grandchild in its group gets SIGUSR1 once"
  kill -s ALRM "$VPID"
  finish_vigil
  is "$RC" 0 "$mode: ${opt[*]}: vigil exits 0 once the group is gone"
done

# Without -g only the child is signalled.
group_tree pid1 || diag "the process tree did not start"
kill -s USR1 "$VPID"
wait_for_lines "$C.log" 1 5
sleep 0.3
is "$(count_of "$G.log" 10)" 0 "pid1: default target: the grandchild does not get SIGUSR1"
kill -s ALRM "$VPID"
finish_vigil
is "$RC" 0 "pid1: default target: vigil exits 0 (the grandchild ends on the cleanup SIGTERM)"

# --- --signal-target all: a process that left the group with setsid ------------------------
# setsid_tree MODE VIGIL-ARGS...: like group_tree, but the grandchild (S) runs under setsid.
setsid_tree() {
  local mode=$1
  shift
  run=$((run + 1))
  C=$TMP/c$run S=$TMP/s$run
  start_vigil "$mode" 30 "$@" -- sh -c \
    'setsid "$0" -x 14 -x 15 "$1.log" "$1.ready" & exec "$0" -x 14 "$2.log" "$2.ready"' \
    "$H/sigrecorder" "$S" "$C" && wait_for_file "$C.ready" && wait_for_file "$S.ready"
}

for mode in $MODES; do
  setsid_tree "$mode" --signal-target all || diag "$mode: the process tree did not start"
  kill -s USR1 "$VPID"
  wait_for_lines "$C.log" 1 5
  wait_for_lines "$S.log" 1 5
  is "$(log_words "$C.log")" 10 "$mode: --signal-target all: the child gets SIGUSR1 once"
  is "$(log_words "$S.log")" 10 "$mode: --signal-target all: a setsid descendant gets SIGUSR1 once"
  kill -s ALRM "$VPID"
  finish_vigil
  is "$RC" 0 "$mode: --signal-target all: vigil exits 0 once both are gone"
  is "$(count_of "$S.log" 14)" 1 "$mode: --signal-target all: the setsid descendant got SIGALRM too"
done

# With -g the setsid descendant is out of reach.
setsid_tree pid1 -g || diag "the process tree did not start"
kill -s USR1 "$VPID"
wait_for_lines "$C.log" 1 5
sleep 0.3
is "$(count_of "$S.log" 10)" 0 "pid1: -g: a descendant that called setsid does not get SIGUSR1"
kill -s ALRM "$VPID"
finish_vigil
is "$RC" 0 "pid1: -g: vigil exits 0 (the setsid descendant ends on the cleanup SIGTERM)"

# --- --rewrite --------------------------------------------------------------------------------
for mode in $MODES; do
  start_recorder "$mode" -r 15:3 || diag "$mode: the recorder did not start"
  kill -s TERM "$VPID"
  wait_for_lines "$LOG" 1 5
  sleep 0.1
  is "$(log_words "$LOG")" 3 "$mode: -r 15:3: SIGTERM reaches the child as SIGQUIT"
  stop_recorder "$mode: -r 15:3: vigil exits 0"

  start_recorder "$mode" -r 15:0 || diag "$mode: the recorder did not start"
  kill -s TERM "$VPID"
  kill -s USR1 "$VPID"
  wait_for_lines "$LOG" 1 5
  sleep 0.2
  is "$(log_words "$LOG")" 10 "$mode: -r 15:0: SIGTERM is dropped (a later SIGUSR1 still arrives)"
  stop_recorder "$mode: -r 15:0: vigil exits 0"
done

# --- --delay ----------------------------------------------------------------------------------
for mode in $MODES; do
  start_recorder "$mode" --delay TERM:1s || diag "$mode: the recorder did not start"
  t0=$(now_ms)
  kill -s TERM "$VPID"
  kill -s USR1 "$VPID"
  wait_for_lines "$LOG" 2 6
  t1=$(now_ms)
  is "$(log_words "$LOG")" "10 15" "$mode: --delay TERM:1s: SIGUSR1 passes at once, SIGTERM after it"
  in_range $((t1 - t0)) 800 3000 "$mode: --delay TERM:1s: SIGTERM is held about a second"
  # A second delayed signal still works once the first has been delivered.
  kill -s USR2 "$VPID"
  wait_for_lines "$LOG" 3 5
  is "$(count_of "$LOG" 12)" 1 "$mode: --delay: other signals are still forwarded afterwards"
  stop_recorder "$mode: --delay: vigil exits 0"
done

done_testing
