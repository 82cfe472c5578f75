#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The demo's workload: a "server" that keeps orphaning children (as shells, forking daemons and
# job runners do) and shuts down cleanly on SIGTERM.
echo "workload: started as pid $$ (parent $PPID)"
trap 'echo "workload: got SIGTERM, finishing the current job and exiting"; exit 0' TERM
i=0
while [ $i -lt 5 ]; do
  i=$((i + 1))
  # The subshell exits at once; its sleeping child is orphaned and re-parented to PID 1.
  ( sleep 0.3 & ) 
  echo "workload: orphaned child batch $i"
  sleep 0.5
done
echo "workload: waiting for work (send SIGTERM to stop)"
while :; do sleep 0.2; done
