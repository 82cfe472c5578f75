#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Memory actions on a fake cgroup v2 tree: the hard limit (no sustain; SIGKILL at once during
# the grace), --mem-exit-code, --mem-signal, --mem-target group, kernel OOM kills announced in
# memory.events (reported as they happen; SIGKILL at once during the grace), and the action as
# PID 1 of a PID namespace.
. "$(dirname "$0")/memlib.sh"
require_memory_env

plan 47

HARD90=483183820 # 90% of memory.max, rounded down
# workingset 496 MiB: over 90% of memory.max
WAY_ABOVE=$((560 * MiB))

# elapsed_ms FILE SEL1 N1 SEL2 N2: ms between two events of a JSON log (-1 when one is missing).
elapsed_ms() {
  local a b
  a=$(ev ms "$1" "$2" "$3")
  b=$(ev ms "$1" "$4" "$5")
  if [ "$a" = "<none>" ] || [ "$b" = "<none>" ]; then echo -1; else echo $((b - a)); fi
}

# --- hard limit alone: no sustain -----------------------------------------------------------
D=$(fake_v2 hard)
E=$TMP/hard.err
start_vigil subreaper 20 -v --log-format json --cgroup-root "$D" --mem-hard-limit 300M \
  --mem-sustain 10s --mem-interval 100ms --mem-grace 5s \
  -- "$H/sigrecorder" -x 15 -t 20 "$TMP/hard.rec" "$TMP/hard.ready" 2>"$E" || diag "vigil did not start"
wait_for_file "$TMP/hard.ready" && wait_for_grep "$E" '"mem_armed"' || diag "no start"
t0=$(now_ms)
set_file "$D/memory.current" "$ABOVE"
wait_for_file "$TMP/hard.rec" 10 || diag "no signal within 10 s"
t1=$(now_ms)
finish_vigil
is "$RC" 137 "hard limit: exit 137"
in_range $((t1 - t0)) 0 1000 "hard limit: the child gets SIGTERM at once, not after the 10 s sustain (ms)"
is "$(ev get "$E" mem_armed 1 hard_limit_bytes),$(ev get "$E" mem_armed 1 limit_bytes)" "$((300 * MiB)),null" \
  "hard limit: mem_armed has hard_limit_bytes and no soft limit"
is "$(ev get "$E" mem_exceeded 1 limit)" hard "hard limit: mem_exceeded says which limit"
is "$(cat "$TMP/hard.rec" 2>/dev/null)" 15 "hard limit: the graceful signal comes first"

# --- hard limit crossed during the grace: SIGKILL at once -----------------------------------
D=$(fake_v2 hardgrace)
E=$TMP/hardgrace.err
set_file "$D/memory.current" "$ABOVE"
start_vigil subreaper 30 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-hard-limit 90% --mem-sustain 200ms --mem-interval 100ms --mem-grace 10s \
  -- "$H/sigrecorder" -t 30 "$TMP/hardgrace.rec" "$TMP/hardgrace.ready" 2>"$E" || diag "vigil did not start"
wait_for_file "$TMP/hardgrace.rec" 10 || diag "no SIGTERM within 10 s"
sleep 0.3
t0=$(now_ms)
set_file "$D/memory.current" "$WAY_ABOVE"
finish_vigil
t1=$(now_ms)
is "$RC" 137 "hard limit during the grace: exit 137"
in_range $((t1 - t0)) 0 2000 "hard limit during the grace: SIGKILL at once, not after the 10 s grace (ms)"
is "$(ev get "$E" mem_armed 1 hard_limit_bytes)" "$HARD90" "mem_armed: hard_limit_bytes is 90% of memory.max"
is "$(ev get "$E" mem_kill 2 signal),$(ev get "$E" mem_kill 2 reason)" "SIGKILL,hard" \
  "hard limit during the grace: mem_kill SIGKILL with reason hard"

# --- --mem-exit-code ------------------------------------------------------------------------
D=$(fake_v2 exitcode)
set_file "$D/memory.current" "$ABOVE"
# run_exit_code CODE-OPTION CHILD-CODE-ON-TERM
run_exit_code() {
  run_vigil subreaper 20 --cgroup-root "$D" --mem-limit 50% --mem-sustain 100ms \
    --mem-interval 50ms --mem-grace 5s --mem-exit-code "$1" \
    -- sh -c "trap 'exit $2' TERM; while :; do sleep 0.05; done" 2>>"$TMP/exitcode.err"
}
RC=0; run_exit_code child 7 || RC=$?
is "$RC" 7 "--mem-exit-code child: vigil exits with the child's code (7)"
RC=0; run_exit_code 3 7 || RC=$?
is "$RC" 3 "--mem-exit-code 3: vigil exits 3 whatever the child's code"
RC=0; run_exit_code child 0 || RC=$?
isnt "$RC" 0 "--mem-exit-code child with a child that exits 0: vigil still does not exit 0 (got $RC)"
RC=0; run_exit_code 137 0 || RC=$?
is "$RC" 137 "the default exit code 137 also when the child exits 0 on SIGTERM"

# --- --mem-signal ---------------------------------------------------------------------------
E=$TMP/sig.err
RC=0
run_vigil subreaper 20 --log-format json --cgroup-root "$D" --mem-limit 50% --mem-sustain 100ms \
  --mem-interval 50ms --mem-grace 5s --mem-signal USR2 \
  -- "$H/sigrecorder" -x 12 -t 20 "$TMP/sig.rec" "$TMP/sig.ready" 2>"$E" || RC=$?
is "$RC" 137 "--mem-signal USR2: exit 137"
is "$(cat "$TMP/sig.rec" 2>/dev/null)" 12 "--mem-signal USR2: the child gets SIGUSR2 and nothing else"
is "$(ev get "$E" mem_kill 1 signal)" SIGUSR2 "--mem-signal USR2: mem_kill names SIGUSR2"

# --- --mem-target group: a grandchild in the child's process group gets the signal ----------
E=$TMP/group.err
RC=0
run_vigil subreaper 20 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-sustain 100ms --mem-interval 50ms --mem-grace 5s --mem-target group \
  -- sh -c "trap '' TERM; \"$H/sigrecorder\" -x 15 -t 20 \"$TMP/group.rec\" \"$TMP/group.ready\" & wait" \
  2>"$E" || RC=$?
is "$RC" 137 "--mem-target group: exit 137"
is "$(cat "$TMP/group.rec" 2>/dev/null)" 15 "--mem-target group: the grandchild got SIGTERM"
is "$(ev get "$E" mem_kill 1 target)" group "--mem-target group: mem_kill target group"
in_range "$(elapsed_ms "$E" mem_kill 1 exit 1)" 0 2000 \
  "--mem-target group: everything stopped well within the 5 s grace (ms)"
is "$(ev count "$E" mem_kill,signal=SIGKILL)" 0 "--mem-target group: no SIGKILL needed"

# Control: with --mem-target child the grandchild gets no SIGTERM; after the grace SIGKILL
# reaches every descendant, including one in another session that ignores SIGTERM.
E=$TMP/child.err
RC=0
run_vigil subreaper 20 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-sustain 100ms --mem-interval 50ms --mem-grace 1s --mem-target child \
  -- sh -c "trap '' TERM; \"$H/sigrecorder\" -x 15 -t 20 \"$TMP/child.rec\" \"$TMP/child.ready\" &
            setsid sh -c 'echo \$\$ > \"$TMP/child.ssid\"; exec sleep 60' & wait" \
  2>"$E" || RC=$?
is "$RC" 137 "--mem-target child: exit 137 after the grace"
check "--mem-target child: the grandchild ran and got no SIGTERM" \
  test -s "$TMP/child.ready" -a ! -s "$TMP/child.rec"
in_range "$(elapsed_ms "$E" mem_kill 1 mem_kill 2)" 900 1700 "--mem-target child: SIGKILL after the 1 s grace (ms)"
ssid=$(cat "$TMP/child.ssid" 2>/dev/null)
if [ -n "$ssid" ] && ! pid_alive "$ssid"; then
  ok "SIGKILL reached a descendant in another session that ignored SIGTERM"
else
  not_ok "SIGKILL reached a descendant in another session that ignored SIGTERM"
  diag "pid '$ssid' state $(proc_state "${ssid:-0}")"
  [ -n "$ssid" ] && kill -KILL "$ssid" 2>/dev/null
fi

# --mem-target all: every descendant, even one in another session.
E=$TMP/all.err
RC=0
run_vigil subreaper 20 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-sustain 100ms --mem-interval 50ms --mem-grace 5s --mem-target all \
  -- sh -c "trap '' TERM; setsid \"$H/sigrecorder\" -x 15 -t 20 \"$TMP/all.rec\" \"$TMP/all.ready\" & wait" \
  2>"$E" || RC=$?
is "$RC" 137 "--mem-target all: exit 137"
is "$(cat "$TMP/all.rec" 2>/dev/null)" 15 "--mem-target all: a grandchild in its own session got SIGTERM"
is "$(ev get "$E" mem_kill 1 target)" all "--mem-target all: mem_kill target all"

# --- the metric and the boundary ------------------------------------------------------------
D=$(fake_v2 boundary)
set_file "$D/memory.current" $((FIX_INACTIVE + FIX_MAX / 2)) # workingset exactly 50%
E=$TMP/boundary.err
RC=0
run_vigil subreaper 20 --log-format json --cgroup-root "$D" --mem-limit 50% --mem-sustain 100ms \
  --mem-interval 50ms --mem-grace 5s -- sh -c 'trap "exit 0" TERM; sleep 3 & wait; exit 4' 2>"$E" || RC=$?
is "$RC" 137 "usage exactly at the soft limit is 'at or over': the action runs"
is "$(ev get "$E" mem_exceeded 1 usage_bytes)" $((FIX_MAX / 2)) "at the limit: usage_bytes equals limit_bytes"
# anon is 144 MiB in the fixture, workingset 192 MiB: a 160M limit is only over for workingset.
E=$TMP/anon.err
RC=0
run_vigil subreaper 20 --log-format json --cgroup-root "$(fake_v2 anon)" --mem-limit 160M --mem-metric anon \
  --mem-sustain 100ms --mem-interval 50ms -- sh -c 'sleep 1; exit 4' 2>"$E" || RC=$?
is "$RC" 4 "--mem-metric anon: anon 144 MiB under a 160M limit, no action (workingset would be over)"
RC=0
run_vigil subreaper 20 --log-format json --cgroup-root "$(fake_v2 anon2)" --mem-limit 140M --mem-metric anon \
  --mem-sustain 100ms --mem-interval 50ms -- sh -c 'trap "exit 0" TERM; sleep 3 & wait; exit 4' 2>"$E" || RC=$?
is "$RC:$(ev get "$E" mem_exceeded 1 usage_bytes)" "137:150994944" "--mem-metric anon: over a 140M limit, usage_bytes is anon"

# --- kernel OOM kills: reported at once (inotify), as a delta; no action below the limit ----
D=$(fake_v2 oom)
E=$TMP/oom.err
start_vigil subreaper 20 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-interval 5s -- sh -c 'sleep 2.5; exit 4' 2>"$E" || diag "vigil did not start"
wait_for_grep "$E" '"mem_armed"' || diag "no mem_armed"
sleep 0.3
t0=$(now_ms)
set_oom_kill "$D" 2
wait_for_grep "$E" '"kernel_oom"' 4 || diag "no kernel_oom event"
sleep 0.3
set_oom_kill "$D" 3
wait_for_grep "$E" '"kernel_oom"' 4 2 || diag "no second kernel_oom event"
finish_vigil
is "$RC" 4 "kernel OOM kills below the limit: no action, vigil exits with the child's code"
is "$(ev count "$E" kernel_oom)" 2 "each change of oom_kill gives one kernel_oom event"
is "$(ev get "$E" kernel_oom 1 oom_kill)" 2 "kernel_oom: the first event counts 2 kills (0 -> 2)"
is "$(ev get "$E" kernel_oom 2 oom_kill)" 1 "kernel_oom: the second event is the delta (2 -> 3)"
k=$(ev ms "$E" kernel_oom 1)
[ "$k" = "<none>" ] && k=$((t0 + 99999))
in_range $((k - t0)) -50 1000 "kernel_oom is reported at once (memory.events is watched), not at the 5 s sample (ms)"
is "$(ev count "$E" mem_kill)" 0 "kernel OOM kills alone start no memory action"

# --- kernel OOM kill during the grace: SIGKILL at once --------------------------------------
D=$(fake_v2 oomgrace)
E=$TMP/oomgrace.err
TLOG=$TMP/oomgrace.tlog
set_file "$D/memory.current" "$ABOVE"
start_vigil subreaper 30 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-sustain 200ms --mem-interval 100ms --mem-grace 10s --termination-log "$TLOG" \
  -- "$H/sigrecorder" -t 30 "$TMP/oomgrace.rec" "$TMP/oomgrace.ready" 2>"$E" || diag "vigil did not start"
wait_for_file "$TMP/oomgrace.rec" 10 || diag "no SIGTERM within 10 s"
sleep 0.3
t0=$(now_ms)
set_oom_kill "$D" 1
finish_vigil
t1=$(now_ms)
is "$RC" 137 "kernel OOM during the grace: exit 137"
in_range $((t1 - t0)) 0 2000 "kernel OOM during the grace: SIGKILL at once, not after the 10 s grace (ms)"
is "$(ev get "$E" kernel_oom 1 oom_kill)" 1 "kernel OOM during the grace: kernel_oom event"
is "$(ev get "$E" mem_kill 2 signal),$(ev get "$E" mem_kill 2 reason)" "SIGKILL,kernel OOM" \
  "kernel OOM during the grace: mem_kill SIGKILL with reason kernel OOM"
like "$(cat "$TLOG" 2>/dev/null)" 'Outcome:.*kernel OOM' "the termination log's outcome names the kernel OOM kill"

# --- as PID 1 of a PID namespace ------------------------------------------------------------
if unshare --pid --fork --mount-proc true 2>/dev/null; then
  E=$TMP/pid1.err
  RC=0
  run_vigil pid1 20 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
    --mem-sustain 100ms --mem-interval 50ms --mem-grace 1s \
    -- sh -c "trap '' TERM; sleep 60 & \"$H/sigrecorder\" -t 20 \"$TMP/pid1.rec\" \"$TMP/pid1.ready\"" \
    2>"$E" || RC=$?
  is "$RC" 137 "PID 1: exit 137 after the grace"
  is "$(ev get "$E" start 1 pid1)" true "PID 1: vigil knows it is PID 1"
  is "$(ev get "$E" mem_kill 2 signal),$(ev get "$E" mem_kill 2 target)" SIGKILL,all "PID 1: SIGKILL to all"
  in_range "$(elapsed_ms "$E" mem_kill 1 mem_kill 2)" 900 1700 "PID 1: SIGKILL after the 1 s grace (ms)"
else
  for _ in 1 2 3 4; do skip "PID 1 run: unshare --pid --mount-proc unavailable"; done
fi

done_testing
