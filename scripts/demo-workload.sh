#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The demo's workload: a "server" that keeps orphaning children (as shells, forking daemons and
# job runners do), then runs a job that leaks memory and does not stop when asked.
# LEAKER names the leaking program (tests/helpers/leaker.c).
echo "workload: started as pid $$ (parent $PPID)"
trap 'echo "workload: got SIGTERM; waiting for the current job, which is stuck"' TERM
trap 'echo "workload: got SIGHUP (forwarded by vigil); reloading configuration"' HUP
i=0
while [ $i -lt 3 ]; do
  i=$((i + 1))
  # The subshell exits at once; its sleeping child is orphaned and re-parented to PID 1.
  ( sleep 0.3 & )
  echo "workload: orphaned child batch $i"
  sleep 0.5
done
echo "workload: starting a job that leaks 40 MiB/s and ignores SIGTERM"
"$LEAKER" --rate 40 --on-term ignore --quiet &
while :; do
  wait
done
