#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets everything up and runs the demo: vigil as PID 1 of a fresh PID namespace supervising a
# workload that orphans children; vigil reaps them and forwards the SIGTERM sent from outside.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[[ -f build/build.ninja ]] || meson setup build >/dev/null
meson compile -C build >/dev/null

echo "== vigil as PID 1 of a new PID namespace (events at -vv)"
unshare --pid --fork --mount-proc build/vigil -vv -- scripts/demo-workload.sh &
ns=$!
sleep 4
vigil_pid=$(pgrep -P "$ns" | head -1)
zombies=$(ps -o stat= --ppid "$vigil_pid" | grep -c '^Z' || true)
echo "== zombies under vigil now: $zombies"
echo "== sending SIGTERM to vigil (host pid $vigil_pid); it forwards it to the workload"
kill -TERM "$vigil_pid"
set +e
wait "$ns"
code=$?
echo "== vigil exited with $code"
