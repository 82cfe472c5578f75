#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# With a non-root child (-u nobody) vigil itself stays root and still does its job: signals sent
# to vigil reach the child (and, with --signal-target group/all, every process of it), orphans
# of the child are reaped, and memory policing SIGKILLs a leaker that ignores SIGTERM. As PID 1
# of a PID namespace and as a subreaper. The workloads write only to a directory nobody owns.
# shellcheck source=privlib.sh
. "$(dirname "$0")/privlib.sh"
require_privs_env

for h in sigrecorder orphaner leaker; do
  [ -x "$H/$h" ] || { echo "Bail out! helper $H/$h was not built"; exit 1; }
done

plan 24

U=$NOBODY_UID
STOP=14 # SIGALRM ends every recorder (-x 14)

log_words() { tr '\n' ' ' <"$1" 2>/dev/null | sed 's/ $//'; }
# only_usr2_alrm LOG: the SIGUSR2 (12) and SIGALRM (14) lines of LOG, in order. The two-recorder
# runs also see signals the test does not check: SIGCHLD (the first recorder is the second
# one's parent), and the cleanup SIGTERM vigil sends the second recorder when the main child
# exits first (it may even be recorded before the SIGALRM whose handler it interrupted).
only_usr2_alrm() { grep -xE '12|14' "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
# status_field PID FIELD: the first value of FIELD in /proc/PID/status.
status_field() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status" 2>/dev/null; }

for mode in $MODES; do
  # --- signals reach a nobody child; vigil stays root -----------------------------------------
  LOG=$W/$mode.log READY=$W/$mode.ready
  start_vigil "$mode" 30 -u nobody -- "$H/sigrecorder" -x $STOP -t 25 "$LOG" "$READY" \
    || diag "$mode: vigil did not start"
  wait_for_file "$READY" 10 || diag "$mode: the recorder did not start: $(ls -l "$W")"
  CPID=$(children_of "${VPID:-0}" | head -n1)
  is "$(status_field "${CPID:-0}" Uid)" "$U" "$mode: the child (sigrecorder) runs as uid $U"
  is "$(status_field "${VPID:-0}" Uid) $(status_field "${VPID:-0}" CapEff)" "0 $HOST_EFF" \
    "$mode: vigil itself stays uid 0 with all its capabilities"
  kill -TERM "$VPID" 2>/dev/null
  wait_for_lines "$LOG" 1 5 || diag "$mode: SIGTERM not recorded within 5 s"
  kill -USR1 "$VPID" 2>/dev/null
  wait_for_lines "$LOG" 2 5 || diag "$mode: SIGUSR1 not recorded within 5 s"
  kill -ALRM "$VPID" 2>/dev/null
  finish_vigil
  is "$(log_words "$LOG")" "15 10 $STOP" \
    "$mode: SIGTERM, SIGUSR1 and SIGALRM sent to vigil reach the nobody child, in order"
  is "$RC" 0 "$mode: vigil exits 0 when the nobody child exits 0"

  # --- --signal-target group (subreaper) / all (PID 1): two nobody recorders -------------------
  target=group
  [ "$mode" = pid1 ] && target=all
  L1=$W/$mode.t1 L2=$W/$mode.t2
  start_vigil "$mode" 30 --signal-target $target -u nobody -- sh -c \
    "\"$H/sigrecorder\" -x $STOP -t 25 \"$L2\" \"$L2.ready\" &
     exec \"$H/sigrecorder\" -x $STOP -t 25 \"$L1\" \"$L1.ready\"" \
    || diag "$mode: vigil did not start"
  # shellcheck disable=SC2015
  wait_for_file "$L1.ready" 10 && wait_for_file "$L2.ready" 10 ||
    diag "$mode: the recorders did not start"
  kill -USR2 "$VPID" 2>/dev/null
  # shellcheck disable=SC2015
  wait_for_lines "$L1" 1 5 && wait_for_lines "$L2" 1 5 || diag "$mode: SIGUSR2 not recorded"
  kill -ALRM "$VPID" 2>/dev/null
  wait_for_lines "$L2" 2 5 || diag "$mode: SIGALRM not recorded by the second recorder"
  finish_vigil
  is "$(only_usr2_alrm "$L1")|$(only_usr2_alrm "$L2")" "12 $STOP|12 $STOP" \
    "$mode: --signal-target $target: both nobody recorders get SIGUSR2 and SIGALRM"
  is "$RC" 0 "$mode: --signal-target $target: vigil exits 0"

  # --- orphans of a nobody child are reaped --------------------------------------------------
  N=500
  RES=$W/$mode.orphans
  RC=0
  run_vigil "$mode" 60 -u nobody -- "$H/orphaner" $N "$RES" 2>"$TMP/$mode.orph.err" || RC=$?
  line=$(cat "$RES" 2>/dev/null)
  diag "$mode: orphaner: ${line:-<no result>}"
  is "$RC" 0 "$mode: -u nobody orphaner: vigil exits 0"
  got=$(for f in forked reparented zombies remaining; do
    printf '%s=%s ' $f "$(sed -n "s/.*\\b$f=\\([0-9-]*\\).*/\\1/p" <<<"$line")"
  done)
  is "$got" "forked=$N reparented=$N zombies=0 remaining=0 " \
    "$mode: all $N orphans of the nobody child were reparented to vigil and reaped (0 zombies)"
  if [ "$mode" = pid1 ]; then
    is "$(sed -n 's/.*\ball_zombies=\([0-9-]*\).*/\1/p' <<<"$line")" 0 \
      "$mode: no zombie at all in the PID namespace"
  fi

  # --- memory policing kills a nobody leaker that ignores SIGTERM ------------------------------
  OUT=$TMP/$mode.leak.out E=$TMP/$mode.leak.err
  t0=$(now_ms)
  RC=0
  run_vigil "$mode" 30 --log-format json --mem-source procfs --mem-limit 50M --mem-sustain 0s \
    --mem-grace 1s -u nobody -- sh -c 'id -u; exec "$@"' sh \
    "$H/leaker" --rate 50 --on-term ignore >"$OUT" 2>"$E" || RC=$?
  t1=$(now_ms)
  is "$RC" 137 "$mode: a nobody leaker over --mem-limit 50M that ignores SIGTERM: exit 137"
  is "$(head -n1 "$OUT")" "$U" "$mode: the leaker ran as uid $U"
  kills=$(grep -E '"event": *"mem_kill"' "$E" | sed -nE 's/.*"signal": *"(SIG[A-Z]+)".*/\1/p' |
    tr '\n' ' ')
  exit_ev=$(grep -E '"event": *"exit"' "$E" | grep -oE '"child_status": *"[^"]*"')
  if [ "$kills" = "SIGTERM SIGKILL " ] && grep -q 'killed by SIGKILL' <<<"$exit_ev" &&
    [ $((t1 - t0)) -lt 15000 ]; then
    ok "$mode: mem_kill SIGTERM, then SIGKILL after the grace; the child was killed by SIGKILL"
  else
    not_ok "$mode: mem_kill SIGTERM, then SIGKILL after the grace; the child was killed by SIGKILL"
    diag "mem_kill signals: '$kills'; exit: '$exit_ev'; took $((t1 - t0)) ms; stderr:"
    diag "$(cat "$E")"
  fi
  if [ "$mode" = subreaper ]; then
    lpid=$(sed -n 's/^leaker: pid \([0-9]*\),.*/\1/p' "$OUT")
    s=$(proc_state "${lpid:-0}")
    if [ -n "$lpid" ] && [ "$s" = gone ]; then
      ok "$mode: the leaker (pid $lpid) is gone"
    else
      not_ok "$mode: the leaker (pid '$lpid') is gone"
      diag "state: $s"
      [ -n "$lpid" ] && kill -KILL "$lpid" 2>/dev/null
    fi
  fi
done

done_testing
