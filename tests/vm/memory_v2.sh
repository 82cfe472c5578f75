#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Memory policing on a real cgroup v2 kernel: vigil is PID 1 of a VM inside a cgroup with
# memory.max = 256M, supervising a program that leaks at a steady rate.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v gcc >/dev/null || skip_all "needs gcc to build a static leaker"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -std=c11 -static -O2 -o "$tmp/leaker" "$here/../helpers/leaker.c" || skip_all "cannot link a static leaker"
"$here/fetch-kernel.sh" >"$tmp/fetch.txt" 2>&1 || { cat "$tmp/fetch.txt" >&2; skip_all "cannot fetch the Debian kernel"; }

plan 13

# run NAME LEAKER-ARGS... -- VIGIL-ARGS...: boots the VM once; the console goes to $tmp/NAME.log.
run() {
  local name=$1
  shift
  local leaker_args=() vigil_args=()
  while [ "$1" != "--" ]; do leaker_args+=("$1"); shift; done
  shift
  vigil_args=("$@")
  "$here/run-vm.sh" --quiet --mem-max 256M --timeout 90 --log "$tmp/$name.log" \
    --file "$TEST_VIGIL:/sbin/vigil" --file "$tmp/leaker:/bin/leaker" \
    -- /sbin/vigil --log-format json -v --termination-log /dev/console "${vigil_args[@]}" \
    -- /bin/leaker --quiet "${leaker_args[@]}" >"$tmp/$name.out" 2>&1
  grep '^{' "$tmp/$name.log" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    try:
        print(json.dumps(json.loads(line)))
    except ValueError:
        pass' >"$tmp/$name.events"
  sed -n 's/^VM_EXIT=//p' "$tmp/$name.out"
}

field() {  # NAME EVENT KEY: the first value of KEY in EVENT
  /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == sys.argv[2]:
        print(e.get(sys.argv[3])); break' "$tmp/$1.events" "$2" "$3"
}

count() { grep -c "\"event\": \"$2\"" "$tmp/$1.events"; }

# 1. A program that honours SIGTERM is stopped gracefully before the kernel OOM killer acts.
# 20 MiB/s leaves the 1 s sustain plus a sample of slack before memory.max.
code=$(run graceful --rate 20 --on-term exit=0 -- --mem-limit 80% --mem-sustain 1s --mem-grace 20s)
is "$code" 137 "graceful: vigil as PID 1 exits 137 after the memory action"
is "$(field graceful mem_armed source)" cgroup2 "graceful: mem_armed names cgroup2"
is "$(field graceful mem_armed cgroup_max_bytes)" 268435456 "graceful: mem_armed shows memory.max"
is "$(field graceful mem_armed limit_bytes)" 214748364 "graceful: 80% resolves against memory.max"
is "$(field graceful mem_kill signal)" SIGTERM "graceful: the graceful signal is SIGTERM"
is "$(field graceful exit child_status)" "exited 0" "graceful: the program exited on its own after SIGTERM"
is "$(count graceful kernel_oom)" 0 "graceful: no kernel OOM kill happened"
check "graceful: the termination log reached the console with the reason" \
  grep -q "vigil: memory limit exceeded: workingset .* stayed at or over the soft limit" "$tmp/graceful.log"
check "graceful: the termination log was rewritten with the outcome" \
  grep -q "Outcome: the program stopped .* after SIGTERM; vigil exited with code 137" "$tmp/graceful.log"

# 2. A program that ignores SIGTERM is SIGKILLed once the grace period is over.
code=$(run forced --rate 40 --limit 230 --on-term ignore -- --mem-limit 80% --mem-sustain 1s --mem-grace 2s)
is "$code" 137 "forced: vigil exits 137"
is "$(grep -c '"signal": "SIGKILL"' "$tmp/forced.events")" 1 "forced: SIGKILL was sent once"
is "$(field forced exit child_status)" "killed by SIGKILL" "forced: the program died of the SIGKILL"
is "$(count forced kernel_oom)" 0 "forced: the kernel OOM killer never acted"

for f in "$tmp"/*.log; do
  grep -q '^VM_EXIT=' "${f%.log}.out" || { diag "console of $(basename "$f"):"; diag "$(tail -40 "$f")"; }
done
