#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vigil reaps every orphan that lands on it: a workload orphans 2,000 grandchildren, lets them
# exit, and counts the zombies left while vigil still runs (as PID 1 and as a subreaper).
. "$(dirname "$0")/lib.sh"
require_root

N=2000
plan 11

for mode in $MODES; do
  res=$TMP/$mode.result
  rc=0
  run_vigil "$mode" 60 -- "$H/orphaner" "$N" "$res" 2>"$TMP/$mode.err" || rc=$?
  is "$rc" 0 "$mode: vigil exits 0 after the orphaning workload"
  line=$(cat "$res" 2>/dev/null)
  diag "$mode: $line"
  field() { sed -n "s/.*\\b$1=\\([0-9-]*\\).*/\\1/p" <<<"$line"; }
  is "$(field forked)" "$N" "$mode: the workload forked $N grandchildren"
  is "$(field reparented)" "$N" "$mode: all $N orphans were reparented to vigil"
  is "$(field zombies)" 0 "$mode: no zombie child of vigil is left while it runs"
  is "$(field remaining)" 0 "$mode: no orphan is left alive"
  if [ "$mode" = pid1 ]; then
    is "$(field all_zombies)" 0 "$mode: no zombie at all in the PID namespace"
  fi
done

done_testing
