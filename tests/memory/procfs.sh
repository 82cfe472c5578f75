#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# --mem-source procfs: usage is the sum of the RSS of vigil's descendants. A real leaker is
# stopped (as a subreaper and as PID 1 of a PID namespace), a grandchild's leak counts, and
# signals sent to vigil are still forwarded while a memory action is in its grace period.
. "$(dirname "$0")/memlib.sh"
require_memory_env

modes=subreaper
unshare --pid --fork --mount-proc true 2>/dev/null && modes="subreaper pid1"
plan 18

LIMIT=$((100 * MiB))

# --- a leaking child ------------------------------------------------------------------------
for mode in subreaper pid1; do
  if [[ " $modes " != *" $mode "* ]]; then
    for _ in 1 2 3 4 5; do skip "$mode: unshare --pid --mount-proc unavailable"; done
    continue
  fi
  E=$TMP/$mode.err
  RC=0
  run_vigil "$mode" 30 -v --log-format json --mem-source procfs --mem-limit 100M \
    --mem-sustain 300ms --mem-interval 100ms --mem-grace 5s \
    -- "$H/leaker" --rate 50 --on-term exit >"$TMP/$mode.out" 2>"$E" || RC=$?
  is "$RC" 137 "$mode: a leaker over --mem-limit 100M: exit 137"
  is "$(ev get "$E" mem_armed 1 source),$(ev get "$E" mem_armed 1 cgroup_max_bytes)" procfs,null \
    "$mode: mem_armed source procfs, no cgroup limit"
  is "$(ev get "$E" mem_armed 1 limit_bytes)" "$LIMIT" "$mode: mem_armed limit_bytes"
  like "$(cat "$TMP/$mode.out")" '^leaker: got SIGTERM' "$mode: the leaker got SIGTERM"
  usage=$(ev get "$E" mem_exceeded 1 usage_bytes)
  [[ $usage =~ ^[0-9]+$ ]] || usage=0
  in_range "$usage" "$LIMIT" $((LIMIT * 2)) "$mode: mem_exceeded usage: the leaker's RSS, over 100 MiB"
done

# --- a grandchild leaks; SIGUSR1 sent to vigil during the grace still reaches the child -----
E=$TMP/gc.err
start_vigil subreaper 30 -v --log-format json --mem-source procfs --mem-limit 100M \
  --mem-sustain 300ms --mem-interval 100ms --mem-grace 2s \
  -- sh -c "\"$H/leaker\" --rate 50 --limit 150 --on-term ignore >\"$TMP/gc.leak\" &
            exec \"$H/sigrecorder\" -t 30 \"$TMP/gc.rec\" \"$TMP/gc.ready\"" 2>"$E" \
  || diag "vigil did not start"
wait_for_file "$TMP/gc.rec" 15 || diag "the child got no signal within 15 s"
kill -USR1 "$VPID" 2>/dev/null
wait_for_lines "$TMP/gc.rec" 2 3 || diag "SIGUSR1 was not recorded"
in_grace=$(ev count "$E" mem_kill)
finish_vigil
is "$RC" 137 "grandchild leak: exit 137"
usage=$(ev get "$E" mem_exceeded 1 usage_bytes)
[[ $usage =~ ^[0-9]+$ ]] || usage=0
in_range "$usage" "$LIMIT" $((160 * MiB)) "the grandchild's RSS counts (mem_exceeded usage over 100 MiB)"
is "$(tr '\n' ' ' <"$TMP/gc.rec" 2>/dev/null)" "15 10 " "the child got SIGTERM, then the SIGUSR1 sent to vigil during the grace"
is "$in_grace" 1 "SIGUSR1 arrived while the grace was running (one mem_kill so far)"
is "$(ev get "$E" signal,received=SIGUSR1 1 forwarded_as)" SIGUSR1 "signal event: SIGUSR1 forwarded"
is "$(ev get "$E" mem_kill 2 signal),$(ev get "$E" mem_kill 2 reason)" "SIGKILL,grace expired" \
  "the forwarded signal does not disturb the action: SIGKILL when the grace expires"
a=$(ev ms "$E" mem_kill 1)
b=$(ev ms "$E" mem_kill 2)
{ [ "$a" = "<none>" ] || [ "$b" = "<none>" ]; } && a=0 b=-1
in_range $((b - a)) 1900 2700 "SIGKILL 2 s after SIGTERM (ms)"
leaker=$(sed -n 's/^leaker: pid \([0-9]*\),.*/\1/p' "$TMP/gc.leak" 2>/dev/null)
if [ -n "$leaker" ] && ! pid_alive "$leaker"; then
  ok "the grandchild leaker (which ignored SIGTERM) is gone"
else
  not_ok "the grandchild leaker (which ignored SIGTERM) is gone"
  diag "leaker pid '$leaker' state $(proc_state "${leaker:-0}")"
  [ -n "$leaker" ] && kill -KILL "$leaker" 2>/dev/null
fi

done_testing
