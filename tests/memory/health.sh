#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vigil --health: one sample, one line, exit 0 below the soft limit, 1 at or over it, 2 when
# it cannot measure (Docker HEALTHCHECK). Runs on fake cgroup trees.
. "$(dirname "$0")/memlib.sh"
require_memory_env

plan 30

D=$(fake_v2 h)

# health ARGS...: runs vigil --health; sets RC, OUT (stdout) and ERR (stderr).
health() {
  RC=0
  timeout -k 3 10 "$TEST_VIGIL" --health "$@" >"$TMP/hout" 2>"$TMP/herr" || RC=$?
  OUT=$(cat "$TMP/hout")
  ERR=$(cat "$TMP/herr")
}

# --- below, at, over ------------------------------------------------------------------------
health --cgroup-root "$D" --mem-limit 50%
is "$RC" 0 "below the soft limit: exit 0"
is "$OUT" "ok 192MiB of 256MiB (workingset)" "below: one line 'ok USAGE of LIMIT (metric)'"
is "$ERR" "" "below: nothing on stderr"

set_file "$D/memory.current" $((FIX_INACTIVE + 256 * MiB)) # workingset exactly 256 MiB
health --cgroup-root "$D" --mem-limit 50%
is "$RC" 1 "exactly at the soft limit: exit 1 (at or over)"
is "$(lines_of "$TMP/hout")" 1 "at: one line"
unlike "$OUT" '^ok' "at: the line does not say ok"
set_file "$D/memory.current" $((FIX_INACTIVE + 256 * MiB - 1))
health --cgroup-root "$D" --mem-limit 50%
is "$RC" 0 "one byte below the soft limit: exit 0"

set_file "$D/memory.current" "$ABOVE"
health --cgroup-root "$D" --mem-limit 50%
is "$RC" 1 "over the soft limit: exit 1"
like "$OUT" '336MiB.*256MiB' "over: the line shows usage and limit"

health --cgroup-root "$D" --mem-limit 50% --mem-metric current
is "$RC" 1 "--mem-metric current: exit 1 over the limit"
like "$OUT" '400MiB of 256MiB \(current\)$' "--mem-metric current: the line names the metric"

set_file "$D/memory.current" "$BELOW"
health --cgroup-root "$D" --mem-hard-limit 150M
is "$RC" 1 "only a hard limit, over it: exit 1"

# --- the environment ------------------------------------------------------------------------
RC=0
OUT=$(VIGIL_MEM_LIMIT=50% timeout 10 "$TEST_VIGIL" --health --cgroup-root "$D" 2>/dev/null) || RC=$?
is "$RC" 0 "VIGIL_MEM_LIMIT=50%: exit 0 below"
is "$OUT" "ok 192MiB of 256MiB (workingset)" "VIGIL_MEM_LIMIT=50%: the limit comes from the environment"
RC=0
VIGIL_MEM_LIMIT=150M timeout 10 "$TEST_VIGIL" --health --cgroup-root "$D" >/dev/null 2>&1 || RC=$?
is "$RC" 1 "VIGIL_MEM_LIMIT=150M: exit 1 over"

# --- cgroup v1 ------------------------------------------------------------------------------
health --cgroup-root "$(fake_v1 h1)" --mem-limit 50%
is "$RC:$OUT" "0:ok 192MiB of 256MiB (workingset)" "cgroup v1: usage_in_bytes - total_inactive_file"

# --- JSON -----------------------------------------------------------------------------------
health --cgroup-root "$D" --mem-limit 50% --log-format json
is "$RC" 0 "JSON below: exit 0"
if ev obj "$OUT"; then ok "JSON below: stdout is one JSON object"; else not_ok "JSON below: stdout is one JSON object"; diag "$OUT"; fi
printf '%s\n' "$OUT" >"$TMP/h.json"
fields=$("$PY" -c 'import json,sys; o=json.load(open(sys.argv[1])); print(o.get("status"), o.get("usage_bytes"), o.get("limit_bytes"), o.get("metric"), o.get("source"))' "$TMP/h.json" 2>/dev/null)
is "$fields" "ok $((BELOW - FIX_INACTIVE)) $((FIX_MAX / 2)) workingset cgroup2" "JSON below: status, usage_bytes, limit_bytes, metric, source"
set_file "$D/memory.current" "$ABOVE"
health --cgroup-root "$D" --mem-limit 50% --log-format json
is "$RC" 1 "JSON over: exit 1"
printf '%s\n' "$OUT" >"$TMP/h.json"
status=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$TMP/h.json" 2>/dev/null)
isnt "${status:-ok}" ok "JSON over: status is not ok (got '$status')"

# --- cannot measure -------------------------------------------------------------------------
set_file "$D/memory.current" garbage
health --cgroup-root "$D" --mem-limit 256M
is "$RC" 2 "garbage in memory.current: exit 2"
is "$(cat "$TMP/hout" "$TMP/herr" | grep -c .)" 1 "garbage: one line"
like "$OUT$ERR" 'memory\.current' "garbage: the line names the file"
health --cgroup-root "$D" --mem-limit 50%
is "$RC" 2 "garbage, limit as a percentage: exit 2"
rm -f "$D/memory.current"
health --cgroup-root "$D" --mem-limit 256M
is "$RC" 2 "memory.current missing: exit 2"
set_file "$D/memory.current" garbage
health --cgroup-root "$D" --mem-limit 256M --log-format json
is "$RC" 2 "JSON, garbage: exit 2"
# With --log-format json every line vigil prints is JSON: the health line (stdout) or the
# diagnostic (stderr, a JSON event). Docker keeps this output in the health log.
all=$(cat "$TMP/hout" "$TMP/herr")
if [ -n "$all" ] && ev obj "$all"; then
  ok "JSON, garbage: the one line printed is a JSON object"
else
  not_ok "JSON, garbage: the one line printed is a JSON object"
  diag "stdout: $OUT"
  diag "stderr: $ERR"
fi

# --- misuse ---------------------------------------------------------------------------------
cp "$FIXTURES/cgroup-v2/memory.current" "$D/memory.current"
health --cgroup-root "$D" --mem-limit 50% -- touch "$TMP/started"
is "$RC" 2 "--health with a program: exit 2"
check "--health never starts a program" test ! -e "$TMP/started"

done_testing
