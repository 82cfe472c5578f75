#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Soft limit on a fake cgroup v2 tree (--cgroup-root): the test raises memory.current by
# rewriting the file. Checks the sustain (a dip below the limit restarts it), the graceful
# signal, exit 137, the termination log (written before the signal, outcome added at exit) and
# the JSON events, including SIGKILL after the grace when the child ignores SIGTERM.
. "$(dirname "$0")/memlib.sh"
require_memory_env

plan 41

# --- 1. a child that honours SIGTERM; text events; termination log --------------------------
D=$(fake_v2 run1)
TLOG=$TMP/tlog1
start_vigil subreaper 20 -v --cgroup-root "$D" --mem-limit 50% --mem-sustain 1s \
  --mem-interval 100ms --mem-grace 5s --termination-log "$TLOG" \
  -- "$H/sigrecorder" -x 15 -t 20 "$TMP/rec1" "$TMP/ready1" 2>"$TMP/err1" \
  || diag "vigil did not start"
wait_for_file "$TMP/ready1" || diag "the recorder did not start"
wait_for_grep "$TMP/err1" 'mem_armed' || diag "no mem_armed line"
sleep 0.4 # a few samples below the limit
check "below the limit: no action and no termination log" \
  test "$(count_lines "$TMP/err1" 'mem_exceeded|mem_kill')" = 0 -a ! -e "$TLOG"
raise=$(now_ms)
set_file "$D/memory.current" "$ABOVE"
wait_for_file "$TMP/rec1" 10 || diag "the child got no signal within 10 s"
got_term=$(now_ms)
check "the termination log is written before the graceful signal reaches the child" test -s "$TLOG"
finish_vigil

is "$RC" 137 "a child that exits on SIGTERM after a memory action: vigil exits 137"
is "$(cat "$TMP/rec1" 2>/dev/null)" 15 "the graceful signal (SIGTERM) reaches the child, once"
# The first sample over the limit is at or after the raise; the action needs 1 s of them.
in_range $((got_term - raise)) 950 2600 "the action waits for the 1 s sustain (ms from the raise to SIGTERM)"
like "$(cat "$TMP/err1")" '^vigil: mem_armed source=cgroup2 .*metric=workingset limit_bytes=268435456 .*cgroup_max_bytes=536870912' \
  "text: mem_armed names cgroup2, the metric and the resolved limit (50% of memory.max)"
like "$(cat "$TMP/err1")" 'mem_exceeded usage_bytes=352321536 limit_bytes=268435456' \
  "text: mem_exceeded reports the workingset (current - inactive_file) and the limit"
like "$(cat "$TMP/err1")" 'mem_kill signal=SIGTERM target=child' "text: mem_kill SIGTERM to the child"
is "$(count_lines "$TMP/err1" 'mem_kill signal=SIGKILL')" 0 "no SIGKILL when the child stops within the grace"
like "$(cat "$TMP/err1")" 'exit code=137 reason="memory limit"' "text: exit event with code 137, reason memory limit"

tl=$(cat "$TLOG" 2>/dev/null)
like "$tl" 'workingset' "termination log: names the metric"
like "$tl" '336MiB|352321536' "termination log: the usage (336 MiB)"
like "$tl" '256MiB|268435456' "termination log: the limit (256 MiB)"
like "$tl" 'Largest processes by RSS:.*sigrecorder' "termination log: the largest processes, the child among them"
like "$tl" 'Outcome:.*137' "termination log: the outcome with the exit code is added at exit"
is "$(grep -o 'Largest processes by RSS' <<<"$tl" | wc -l)" 1 "termination log: rewritten at exit, not appended to"
size=$(stat -c %s "$TLOG" 2>/dev/null || echo 99999)
in_range "$size" 1 4096 "termination log: at most 4 KiB"

# --- 2. JSON; a dip below the limit restarts the sustain; SIGTERM ignored -> SIGKILL ---------
D=$(fake_v2 run2)
TLOG=$TMP/tlog2
E=$TMP/err2
start_vigil subreaper 20 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-sustain 1s --mem-interval 100ms --mem-grace 1s --termination-log "$TLOG" \
  -- "$H/sigrecorder" -t 20 "$TMP/rec2" "$TMP/ready2" 2>"$E" || diag "vigil did not start"
wait_for_file "$TMP/ready2" || diag "the recorder did not start"
wait_for_grep "$E" '"mem_armed"' || diag "no mem_armed event"
raise=$(now_ms)
set_file "$D/memory.current" "$ABOVE"
sleep 0.4 # over the limit for 0.4 s of the 1 s sustain
set_file "$D/memory.current" "$BELOW"
dip=$(now_ms)
sleep 0.5 # several samples below
if [ $((dip - raise)) -lt 900 ]; then
  check "no action while the sustain has not elapsed" test "$(count_lines "$E" '"mem_exceeded"')" = 0
else
  skip "the machine was too slow to dip within the sustain ($((dip - raise)) ms)"
fi
reraise=$(now_ms)
set_file "$D/memory.current" "$ABOVE"
wait_for_file "$TMP/rec2" 10 || diag "the child got no signal within 10 s"
tlog_during_grace=$(cat "$TLOG" 2>/dev/null)
finish_vigil

is "$RC" 137 "SIGTERM ignored: vigil exits 137 after the SIGKILL"
if ev check "$E" >"$TMP/bad"; then ok "every stderr line is a JSON event with ts, level, event"; else
  not_ok "every stderr line is a JSON event with ts, level, event"; show "$TMP/bad"; fi
is "$(ev get "$E" mem_armed 1 source)" cgroup2 "mem_armed: source cgroup2"
is "$(ev get "$E" mem_armed 1 limit_bytes)" $(($(cat "$D/memory.max") / 2)) "mem_armed: limit_bytes is 50% of memory.max"
is "$(ev get "$E" mem_armed 1 cgroup_max_bytes)" "$FIX_MAX" "mem_armed: cgroup_max_bytes"
is "$(ev get "$E" mem_armed 1 metric)" workingset "mem_armed: metric workingset (the default)"
is "$(ev get "$E" mem_armed 1 hard_limit_bytes)" null "mem_armed: no hard limit"
is "$(ev get "$E" mem_armed 1 interval_ms)" 100 "mem_armed: interval_ms"
is "$(ev count "$E" mem_exceeded)" 1 "one mem_exceeded event"
is "$(ev get "$E" mem_exceeded 1 usage_bytes)" $((ABOVE - FIX_INACTIVE)) "mem_exceeded: usage_bytes"
is "$(ev get "$E" mem_exceeded 1 limit_bytes)" $((FIX_MAX / 2)) "mem_exceeded: limit_bytes"
exceeded=$(ev ms "$E" mem_exceeded 1)
if [ "$exceeded" = "<none>" ]; then exceeded=0; fi
in_range $((exceeded - reraise)) 950 2600 "the dip restarted the sustain: a full 1 s over the limit after the second rise (ms)"
is "$(ev count "$E" mem_kill)" 2 "two mem_kill events"
is "$(ev get "$E" mem_kill 1 signal),$(ev get "$E" mem_kill 1 target)" SIGTERM,child "first mem_kill: SIGTERM to the child"
is "$(ev get "$E" mem_kill 2 signal),$(ev get "$E" mem_kill 2 target)" SIGKILL,all "second mem_kill: SIGKILL to all"
t1=$(ev ms "$E" mem_kill 1)
t2=$(ev ms "$E" mem_kill 2)
[ "$t1" = "<none>" ] && t1=0
[ "$t2" = "<none>" ] && t2=0
in_range $((t2 - t1)) 900 1700 "SIGKILL comes after the 1 s grace (ms between the two mem_kill events)"
is "$(ev get "$E" exit 1 code)" 137 "exit event: code 137"
is "$(ev get "$E" exit 1 reason)" "memory limit" "exit event: reason memory limit"
like "$(ev get "$E" exit 1 child_status)" 'SIGKILL' "exit event: the child was killed by SIGKILL"
is "$(tr '\n' ' ' <"$TMP/rec2" 2>/dev/null)" "15 " "the child recorded SIGTERM once (SIGKILL cannot be caught)"
unlike "$tlog_during_grace" 'Outcome' "during the grace the termination log has the reason but no outcome yet"
# The reason is written before the signal; the largest processes are added right after it.
like "$tlog_during_grace" 'memory limit exceeded: workingset' "during the grace the termination log already has the reason"
like "$(cat "$TLOG" 2>/dev/null)" 'Outcome:.*SIGKILL' "after exit the termination log tells of the SIGKILL"

done_testing
