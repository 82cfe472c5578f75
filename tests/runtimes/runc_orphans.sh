#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Single quotes keep $ for the shell inside the container.
# shellcheck disable=SC2016
# vigil as PID 1 of an OCI container run by runc reaps orphans: a workload orphans children
# that then exit, and a look inside the running container (`runc exec`, /proc) finds no
# zombie; the same workload without vigil as PID 1 leaves every one of them a zombie (so the
# check can see them). The orphaner helper counts zombies from inside, and leftover
# processes are cleaned up when the main program exits.
. "$(dirname "$0")/rtlib.sh"
require_rt_env
require_runc

ROOTFS=$TMP/rootfs
make_rootfs "$ROOTFS" || bail_out "cannot build the busybox root filesystem"

plan 16

N=8
# The workload: N subshells each start a child and exit at once, so the child is orphaned
# (reparented to PID 1); each orphan writes its pid to /out and exits 200 ms later. Then the
# program execs a long sleep and never waits for anything.
WORKLOAD='for i in $(seq '$N'); do (sh -c "sleep 0.2; echo \$\$ >/out/orphan.$i" &); done; exec sleep 30'

new_bundle() {
  ID=$RT_NAME-$1
  shift
  rm -rf "${TMP:?}/out"/*
  runc_bundle "$TMP/$ID" "$ROOTFS" 256 -- "$@"
}

# proc_states ID: "PID STATE PPID COMM" for every process of the running container, read from
# its /proc by `runc exec` (the exec'd shell itself left out).
proc_states() {
  "${RUNC[@]}" exec "$1" sh -c 'for f in /proc/[0-9]*/stat; do cat "$f"; done 2>/dev/null; echo "self $$"' 2>/dev/null |
    awk '$1 == "self" { self = $2; next }
         { pid[NR] = $1; comm = $0; sub(/^[0-9]+ \(/, "", comm); sub(/\) [^)]*$/, "", comm);
           r = $0; sub(/^.*\) /, "", r); split(r, f, " ");
           line[NR] = $1 " " f[1] " " f[2] " " comm; ppid[NR] = f[2] }
         END { for (i = 1; i <= NR; i++)
                 if (i in line && pid[i] != self && ppid[i] != self) print line[i] }'
}
zombies_of() { awk '$2 == "Z"' <<<"$1" | wc -l; }

# shellcheck disable=SC2317  # called through wait_until
orphans_done() { [ "$(find "$TMP/out" -maxdepth 1 -name 'orphan.*' | wc -l)" -ge "$N" ]; }

# --- without vigil: the orphans stay zombies under a PID 1 that never waits ------------------
new_bundle novigil sh -c "$WORKLOAD"
runc_start "$ID" "$TMP/$ID" "$TMP/plain.out" "$TMP/plain.err"
wait_until 20 orphans_done
wait_until 5 test "$(zombies_of "$(proc_states "$ID")")" -ge "$N"
states=$(proc_states "$ID")
is "$(zombies_of "$states")" "$N" "control: without vigil, the $N exited orphans stay zombies of PID 1 (seen by runc exec)"
"${RUNC[@]}" kill "$ID" KILL 2>/dev/null
finish_vigil

# --- with vigil as PID 1 --------------------------------------------------------------------
new_bundle reap /bin/vigil -v -w -- sh -c "$WORKLOAD"
runc_start "$ID" "$TMP/$ID" "$TMP/reap.out" "$TMP/reap.err"
wait_until 20 orphans_done
check "all $N orphans ran and exited" orphans_done
# Settled: nothing but vigil and the sleep, no zombie (an orphan may still be exiting).
# shellcheck disable=SC2317  # called through wait_until
settled() {
  local s
  s=$(proc_states "$ID")
  [ "$(zombies_of "$s")" = 0 ] && [ "$(wc -l <<<"$s")" = 2 ]
}
wait_until 5 settled
states=$(proc_states "$ID")
is "$(zombies_of "$states")" 0 "with vigil: no zombie in the container (runc exec, /proc/*/stat)"
is "$(awk '$1 == 1 { print $4 }' <<<"$states")" vigil "PID 1 of the container is vigil"
is "$(awk '$2 != "Z"' <<<"$states" | wc -l | tr -d ' ')" 2 "only vigil and the program's sleep remain"
[ "$(zombies_of "$states")" = 0 ] || diag "$states"
is "$(grep -c 'reap .*main=false' "$TMP/reap.err")" "$N" "vigil reaped the $N orphans (reap events with main=false, shown by --warn-reap)"
"${RUNC[@]}" kill "$ID" TERM
finish_vigil
is "$RC" 143 "runc kill TERM: the sleep is killed by the forwarded SIGTERM, runc run exits 143"

# --- the orphaner helper counts zombies from inside ----------------------------------------
new_bundle orphaner /bin/vigil -- orphaner 50 /out/result
runc_run "$ID" "$TMP/$ID" "$TMP/orphaner.out" "$TMP/orphaner.err"
is "$RC" 0 "orphaner: runc run exits 0"
result=$(cat "$TMP/out/result" 2>/dev/null)
like "$result" '^forked=50 reparented=50 ' "orphaner: 50 grandchildren orphaned onto vigil"
like "$result" ' zombies=0 all_zombies=0 remaining=0 ' "orphaner: all reaped, no zombie anywhere in the container"
[ "$RC" = 0 ] || show "$TMP/orphaner.err"

# --- leftover processes when the program exits ---------------------------------------------
# An orphan that exits on SIGTERM and one that ignores it: vigil SIGTERMs both when the
# program exits, SIGKILLs the second after --cleanup-grace, and exits with the program's code.
new_bundle leftover /bin/vigil -v --cleanup-grace 1s -- sh -c \
  '(sleep 60 &); (sh -c "trap \"\" TERM; echo 1 >/out/stubborn; while :; do sleep 1; done" &)
   while [ ! -s /out/stubborn ]; do sleep 0.02; done; exit 5'
t0=$(now_ms)
runc_run "$ID" "$TMP/$ID" "$TMP/leftover.out" "$TMP/leftover.err"
t1=$(now_ms)
is "$RC" 5 "leftover processes: runc run exits with the program's code 5"
in_range $((t1 - t0)) 900 8000 "the container ends after the 1 s cleanup grace (ms)"
like "$(cat "$TMP/leftover.err")" 'exit code=5' "vigil exited 5"
is "$(runc_state "$ID")" absent "the container is gone"

# --- nothing left behind by runc -----------------------------------------------------------
m=$(memory_v1_mount)
own=$(own_cgroup memory)
if [ -n "$m" ]; then
  is "$(find "$m${own%/}/$RT_NAME" -mindepth 1 -type d 2>/dev/null | wc -l)" 0 \
    "runc removed every container cgroup (relative cgroupsPath, under this test's own memory cgroup)"
else
  skip "no cgroup v1 memory hierarchy"
fi
is "$(find "$RUNC_STATE" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" 0 "no container left in runc's state directory"

done_testing
