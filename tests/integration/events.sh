#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vigil reports start, signal, reap and exit events, as `vigil: EVENT k=v` lines or as JSON
# Lines (SPEC §4); -v, -vv, -q and -w choose what is printed.
. "$(dirname "$0")/lib.sh"
require_root
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "needs $PY to validate JSON"

plan $((2 * (6 + 8 + 12)))

# The child asks vigil (its parent, pid 1 in a namespace) to forward SIGUSR1 back to it and
# exits 3 when it arrives (9 if it never does); an orphaned sleeper gives vigil a zombie that
# is not its child.
WORKLOAD='trap "exit 3" USR1; ( sleep 0.1 & ); kill -USR1 $PPID; i=0
  while [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; exit 9'
ORPHAN='( sleep 0.1 & ); exit 0'

cat >"$TMP/check_json.py" <<'PYEOF'
import json, re, sys

mode, want_code = sys.argv[1], int(sys.argv[2])
lines = [l for l in open(sys.argv[3], encoding="utf-8").read().split("\n") if l != ""]
res = {}
events, bad = [], []
for l in lines:
    try:
        o = json.loads(l)
    except ValueError as e:
        bad.append("not JSON: %r (%s)" % (l, e))
        continue
    if not isinstance(o, dict):
        bad.append("not an object: %r" % l)
        continue
    events.append(o)
ok_shape = not bad and events and all(
    isinstance(o.get("ts"), str) and o.get("level") in ("error", "warning", "info", "debug")
    and isinstance(o.get("event"), str) and o["event"] for o in events)
res["shape"] = "ok" if ok_shape else "; ".join(bad) or "missing ts/level/event in %r" % events
ts_re = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
res["ts"] = "ok" if events and all(ts_re.match(str(o.get("ts"))) for o in events) else \
    "bad ts: %r" % [o.get("ts") for o in events]

fields = {"start": ["program", "pid", "pid1", "subreaper"],
          "signal": ["received", "forwarded_as", "target"],
          "reap": ["pid", "status"],
          "exit": ["code", "reason"]}
by = {}
for o in events:
    by.setdefault(o.get("event"), []).append(o)
for ev, keys in fields.items():
    got = by.get(ev, [])
    missing = [k for o in got for k in keys if k not in o]
    res[ev] = "ok" if got and not missing else "events %r, missing %r" % (got, missing)

start = (by.get("start") or [{}])[0]
want_pid1 = mode == "pid1"
res["start_values"] = "ok" if (start.get("pid1") is want_pid1 and start.get("subreaper") is (not want_pid1)
                               and start.get("program") == "sh" and isinstance(start.get("pid"), int)) \
    else "start %r" % start
sig = (by.get("signal") or [{}])[0]
res["signal_values"] = "ok" if (sig.get("received") == "SIGUSR1" and sig.get("forwarded_as") == "SIGUSR1"
                                and sig.get("target") == "child") else "signal %r" % sig
main = [o for o in by.get("reap", []) if o.get("pid") == start.get("pid")]
res["reap_main"] = "ok" if len(main) == 1 and "3" in str(main[0].get("status")) else "reaps %r" % by.get("reap")
others = [o for o in by.get("reap", []) if o.get("pid") != start.get("pid")]
res["reap_other"] = "ok" if others and all(o.get("level") == "debug" for o in others) else "reaps %r" % by.get("reap")
ex = (by.get("exit") or [{}])[-1]
res["exit_values"] = "ok" if ex.get("code") == want_code and events[-1].get("event") == "exit" \
    else "exit %r (last event %r)" % (ex, events[-1] if events else None)
for k, v in res.items():
    print("%s=%s" % (k, v))
PYEOF

# has_event TEXT EVENT FIELD-REGEX... DESCRIPTION: ok when one `vigil: EVENT ...` line of TEXT
# has every field (k=v, in any order).
has_event() {
  local text=$1 event=$2 line f found=""
  shift 2
  local fields=("${@:1:$#-1}") desc=${!#}
  while IFS= read -r line; do
    [[ $line == "vigil: $event "* ]] || continue
    found=$line
    for f in "${fields[@]}"; do
      grep -Eq -- " $f" <<<"$line" || found=""
    done
    [ -n "$found" ] && break
  done <<<"$text"
  if [ -n "$found" ]; then
    ok "$desc"
  else
    not_ok "$desc"
    diag "no 'vigil: $event' line with ${fields[*]} in:"
    diag "$text"
  fi
}

for mode in $MODES; do
  # --- text events at -v ---------------------------------------------------------------------
  rc=0
  run_vigil "$mode" 20 -v -- sh -c "$WORKLOAD" 2>"$TMP/$mode.txt" || rc=$?
  err=$(cat "$TMP/$mode.txt")
  is "$rc" 3 "$mode: text: the workload ends with 3 after SIGUSR1 came back through vigil"
  if [ "$mode" = pid1 ]; then p1=true sr=false; else p1=false sr=true; fi
  has_event "$err" start 'program=sh' "$mode: text: a start event names the program"
  has_event "$err" start "pid1=$p1" "subreaper=$sr" 'pid=[0-9]+' \
    "$mode: text: start has the child's pid, pid1=$p1 and subreaper=$sr"
  has_event "$err" signal 'received=SIGUSR1' 'forwarded_as=SIGUSR1' 'target=child' \
    "$mode: text: a signal event with received, forwarded_as and target"
  has_event "$err" reap 'pid=[0-9]+' 'status="?exited 3' "$mode: text: a reap event for the child"
  has_event "$err" exit 'code=3' 'reason=' "$mode: text: an exit event with code and reason"

  # --- verbosity ---------------------------------------------------------------------------
  # Only vigil's stderr is kept.
  # shellcheck disable=SC2069
  vrun() { run_vigil "$mode" 20 "$@" -- sh -c "$ORPHAN" 2>&1 >/dev/null; }
  out=$(vrun)
  is "$out" "" "$mode: default verbosity: a clean run prints nothing"
  out=$(vrun -v)
  like "$out" '^vigil: start ' "$mode: -v: the start event is printed"
  unlike "$out" '^vigil: reap .*main=false' "$mode: -v: the reap of a non-child zombie is not printed"
  out=$(vrun -vv)
  like "$out" '^vigil: reap .*main=false' "$mode: -vv: the reap of a non-child zombie is printed"
  out=$(vrun -w)
  like "$out" '^vigil: warning: reap .*main=false' "$mode: -w: the reap of a non-child zombie is a warning"
  unlike "$out" '^vigil: start' "$mode: -w: info events stay hidden"
  out=$(vrun -q -w)
  is "$out" "" "$mode: -q -w: warnings are hidden too"
  out=$(run_vigil "$mode" 20 -q -- /nonexistent/program 2>&1)
  like "$out" '^vigil: error: .*/nonexistent/program' "$mode: -q: errors are still printed"

  # --- JSON Lines at -vv -------------------------------------------------------------------
  rc=0
  run_vigil "$mode" 20 --log-format json -vv -- sh -c "$WORKLOAD" 2>"$TMP/$mode.json" || rc=$?
  is "$rc" 3 "$mode: json: the workload ends with 3"
  res=$("$PY" "$TMP/check_json.py" "$mode" 3 "$TMP/$mode.json" 2>&1)
  result() {
    local v
    v=$(sed -n "s/^$1=//p" <<<"$res")
    if [ "$v" = ok ]; then
      ok "$mode: json: $2"
    else
      not_ok "$mode: json: $2"
      diag "${v:-$res}"
    fi
  }
  result shape "every stderr line is a JSON object with ts, level and event"
  result ts "ts is RFC 3339 UTC with milliseconds"
  result start "a start event with program, pid, pid1, subreaper"
  result start_values "start: program sh, pid1 and subreaper right for $mode"
  result signal "a signal event with received, forwarded_as, target"
  result signal_values "signal: SIGUSR1 forwarded as SIGUSR1 to the child"
  result reap "reap events with pid and status"
  result reap_main "the reap of the child has its pid and status exited 3"
  result reap_other "the reap of a non-child zombie is a debug event"
  result exit "an exit event with code and reason"
  result exit_values "the last event is exit with code 3"
done

done_testing
