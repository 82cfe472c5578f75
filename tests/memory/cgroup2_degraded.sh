#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Cgroup files that vanish or cannot be parsed mid-run (fake cgroup v2 tree): one warning per
# outage, the child keeps running and exits with its own code, and sampling resumes once the
# file is back. A garbled memory.events must not invent kernel OOM kills.
. "$(dirname "$0")/memlib.sh"
require_memory_env

plan 18

# --- memory.stat vanishes, then memory.current holds garbage; the child exits by itself -----
D=$(fake_v2 r1)
L=$TMP/r1.err
start_vigil subreaper 20 -v --cgroup-root "$D" --mem-limit 50% --mem-sustain 300ms \
  --mem-interval 100ms --mem-grace 5s \
  -- "$H/sigrecorder" -t 3 "$TMP/r1.rec" "$TMP/r1.ready" 2>"$L" || diag "vigil did not start"
wait_for_file "$TMP/r1.ready" && wait_for_grep "$L" 'mem_armed' || diag "no start"
mv "$D/memory.stat" "$TMP/memory.stat.saved"
sleep 0.6 # several samples without memory.stat
mv "$TMP/memory.stat.saved" "$D/memory.stat"
wait_for_grep "$L" 'readable again' 3 || diag "no 'readable again' after memory.stat came back"
set_file "$D/memory.current" "garbage"
sleep 0.6
set_file "$D/memory.current" "$BELOW"
wait_for_grep "$L" 'readable again' 3 2 || diag "no second 'readable again'"
finish_vigil
is "$RC" 3 "the child keeps running through the outages and vigil exits with its code (3)"
check "the recorder ran and got no signal" test -s "$TMP/r1.ready" -a ! -s "$TMP/r1.rec"
is "$(count_lines "$L" 'warning.*memory\.stat')" 1 "memory.stat vanishing: one warning line for the whole outage"
is "$(count_lines "$L" "warning.*memory\.current.*garbage")" 1 "garbage in memory.current: one warning line naming the file and the text"
is "$(count_lines "$L" 'warning')" 2 "no other warnings"
is "$(count_lines "$L" 'readable again')" 2 "the return of each file is noticed"
is "$(count_lines "$L" 'mem_exceeded|mem_kill')" 0 "no memory action"

# --- memory.current vanishes; restored above the limit, sampling resumes and acts -----------
D=$(fake_v2 r2)
L=$TMP/r2.err
start_vigil subreaper 20 -v --cgroup-root "$D" --mem-limit 50% --mem-sustain 300ms \
  --mem-interval 100ms --mem-grace 5s \
  -- "$H/sigrecorder" -x 15 -t 20 "$TMP/r2.rec" "$TMP/r2.ready" 2>"$L" || diag "vigil did not start"
wait_for_file "$TMP/r2.ready" && wait_for_grep "$L" 'mem_armed' || diag "no start"
rm "$D/memory.current"
sleep 0.7
check "memory.current missing: the child is left alone" test ! -s "$TMP/r2.rec"
set_file "$D/memory.current" "$ABOVE"
wait_for_file "$TMP/r2.rec" 10 || diag "no signal after memory.current came back"
finish_vigil
is "$RC" 137 "memory.current back, over the limit: sampling resumed and the action ran (137)"
is "$(cat "$TMP/r2.rec" 2>/dev/null)" 15 "the child got SIGTERM after the file came back"
is "$(count_lines "$L" 'warning.*memory\.current')" 1 "memory.current vanishing: one warning line"
like "$(cat "$L")" 'mem_exceeded usage_bytes=352321536' "the usage after the return is the new value"

# --- memory.events garbled then restored with the same oom_kill count -----------------------
D=$(fake_v2 r3)
set_oom_kill "$D" 2
events=$(cat "$D/memory.events")
L=$TMP/r3.err
start_vigil subreaper 20 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-interval 100ms -- "$H/sigrecorder" -t 2 "$TMP/r3.rec" "$TMP/r3.ready" 2>"$L" \
  || diag "vigil did not start"
wait_for_file "$TMP/r3.ready" && wait_for_grep "$L" '"mem_armed"' || diag "no start"
sleep 0.3
write_in_place "$D/memory.events" "garbage"
sleep 0.5
write_in_place "$D/memory.events" "$events"
finish_vigil
is "$RC" 3 "memory.events garbled: the child runs on and vigil exits with its code (3)"
is "$(ev count "$L" kernel_oom)" 0 \
  "memory.events restored with its unchanged oom_kill (2): no kernel_oom event (no new kill happened)"
is "$(ev count "$L" log,level=warning)" 1 "garbage in memory.events: one warning"

# The same during the grace period: a phantom kernel OOM kill would cut the grace short.
D=$(fake_v2 r4)
set_oom_kill "$D" 2
events=$(cat "$D/memory.events")
set_file "$D/memory.current" "$ABOVE"
L=$TMP/r4.err
start_vigil subreaper 20 -v --log-format json --cgroup-root "$D" --mem-limit 50% \
  --mem-sustain 100ms --mem-interval 100ms --mem-grace 2s \
  -- "$H/sigrecorder" -t 20 "$TMP/r4.rec" "$TMP/r4.ready" 2>"$L" || diag "vigil did not start"
wait_for_file "$TMP/r4.rec" 10 || diag "no SIGTERM"
write_in_place "$D/memory.events" "garbage"
sleep 0.3
write_in_place "$D/memory.events" "$events"
finish_vigil
is "$RC" 137 "memory.events garbled during the grace: exit 137"
is "$(ev get "$L" mem_kill 2 reason)" "grace expired" \
  "memory.events garbled and restored during the grace: SIGKILL only when the grace expires"
a=$(ev ms "$L" mem_kill 1)
b=$(ev ms "$L" mem_kill 2)
[ "$a" = "<none>" ] || [ "$b" = "<none>" ] && a=0 b=-1
in_range $((b - a)) 1900 2700 "the full 2 s grace was granted (ms between SIGTERM and SIGKILL)"

done_testing
