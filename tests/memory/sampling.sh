#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Adaptive sampling (fake cgroup v2 tree): with the default --mem-interval 1s, a fast leak must
# be sampled "sooner as usage approaches a limit at its current growth rate", so that it is
# caught before usage reaches memory.max, where the kernel OOM killer strikes. The test raises
# memory.current in steps, as a real leak grows: in bursts (every 100 ms) and smoothly (every
# 10 ms).
. "$(dirname "$0")/memlib.sh"
require_memory_env

plan 11

HARD=$((FIX_MAX * 60 / 100)) # --mem-hard-limit 60%: 307.2 MiB of workingset

# fast_leak NAME RATE-MiB/s PERIOD-ms: memory.current grows from inactive_file (workingset 0)
# at RATE, in steps every PERIOD, up to memory.max. Checks where vigil acted. 3 tests.
fast_leak() {
  local name=$1 rate=$2 period=$3
  local d E step stepper
  d=$(fake_v2 "${name%%/*}")
  E=$TMP/${name%%/*}.err
  set_file "$d/memory.current" "$FIX_INACTIVE"
  step=$((rate * MiB * period / 1000))
  step_current "$d" "$FIX_INACTIVE" "$step" "$period" "$FIX_MAX" &
  stepper=$!
  RC=0
  run_vigil subreaper 20 --log-format json --cgroup-root "$d" --mem-hard-limit 60% --mem-grace 1s \
    -- "$H/sigrecorder" -x 15 -t 15 "$TMP/${name%%/*}.rec" "$TMP/${name%%/*}.ready" 2>"$E" || RC=$?
  kill "$stepper" 2>/dev/null
  wait "$stepper" 2>/dev/null
  local current usage
  current=$("$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    try: o = json.loads(l)
    except ValueError: continue
    if o.get("event") == "mem_exceeded": print(o["breakdown"]["current"]); break' "$E" 2>/dev/null)
  usage=$(ev get "$E" mem_exceeded 1 usage_bytes)
  [[ $current =~ ^[0-9]+$ ]] || current=$FIX_MAX
  [[ $usage =~ ^[0-9]+$ ]] || usage=0
  is "$RC" 137 "$name: the hard limit action ran (exit 137)"
  in_range "$current" 1 $((FIX_MAX - 1)) \
    "$name: vigil acted before memory.current reached memory.max (the kernel's OOM point)"
  in_range "$usage" "$HARD" $((FIX_MAX * 80 / 100)) \
    "$name: caught soon after the 60% hard limit, below 80% of memory.max (mem_exceeded workingset)"
}

fast_leak smooth-150MiB/s 150 10   # a step every 10 ms
fast_leak bursts-200MiB/s 200 100  # a step every 100 ms
fast_leak bursts-250MiB/s 250 100

# A flat usage: no action, and the child's own exit code.
D=$(fake_v2 flat)
RC=0
run_vigil subreaper 20 --cgroup-root "$D" --mem-hard-limit 60% --mem-interval 100ms \
  -- sh -c 'sleep 1; exit 6' 2>"$TMP/flat.err" || RC=$?
is "$RC:$(count_lines "$TMP/flat.err" 'mem_')" 6:0 "flat usage below the limit: no action, the child's code (6)"

# A slow leak that stays below the limit is left alone (sampling speed-up is no action).
D=$(fake_v2 slow)
set_file "$D/memory.current" "$FIX_INACTIVE"
step_current "$D" "$FIX_INACTIVE" $((10 * MiB)) 100 $((FIX_INACTIVE + HARD - MiB)) &
stepper=$!
RC=0
run_vigil subreaper 20 --cgroup-root "$D" --mem-hard-limit 60% \
  -- sh -c 'sleep 4; exit 6' 2>"$TMP/slow.err" || RC=$?
kill "$stepper" 2>/dev/null
wait "$stepper" 2>/dev/null
is "$RC:$(count_lines "$TMP/slow.err" 'mem_')" 6:0 "a leak that levels off 1 MiB below the hard limit: no action"

done_testing
