#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets everything up and runs the demo: vigil as PID 1 of a fresh PID namespace supervising a
# workload that orphans children and then leaks memory. vigil reaps the orphans, forwards a
# SIGHUP sent from outside, sends SIGTERM
# once memory stays over the limit, SIGKILLs everything after the grace period, and writes the
# reason to the termination log.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[[ -f build/build.ninja ]] || meson setup build >/dev/null
meson compile -C build >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# procfs (the RSS of vigil's descendants) works on every host; inside a container vigil would
# read the container's own cgroup instead.
cmd=(build/vigil -vv --mem-source procfs --mem-limit 150M --mem-sustain 1s --mem-grace 3s
     --termination-log "$tmp/termination-log" -- scripts/demo-workload.sh)
echo "== unshare --pid --fork --mount-proc ${cmd[*]}"
LEAKER=build/tests/helpers/leaker unshare --pid --fork --mount-proc "${cmd[@]}" &
ns=$!
sleep 1
vigil_pid=$(pgrep -P "$ns" | head -1)
echo "== kill -HUP $vigil_pid (vigil, seen from outside the namespace)"
kill -HUP "$vigil_pid"
set +e
wait "$ns"
code=$?
set -e
echo "== vigil exited with $code"
echo "== termination log:"
fold -s -w 100 "$tmp/termination-log"
