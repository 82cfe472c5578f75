#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Single quotes keep $ for the shell inside the container.
# shellcheck disable=SC2016
# Memory policing in an OCI container run by runc with a 256 MiB limit in config.json
# (linux.resources.memory.limit). vigil, PID 1 with --mem-source auto, finds the container's
# own cgroup v1 memory controller through /proc/self/cgroup and /proc/self/mountinfo (runc
# bind-mounts the container's cgroup read-only at /sys/fs/cgroup/memory; no cgroup namespace),
# resolves --mem-limit 25% against the container's limit, and stops a leak: SIGTERM, then
# SIGKILL after the grace, exit 137, the reason in the termination log, before the kernel's
# OOM killer ever acts: the peak usage of the containers' parent cgroup, read on the host,
# stays below the limit, which the same leak without vigil does reach.
. "$(dirname "$0")/rtlib.sh"
require_rt_env
require_runc
require_memory_v1

ROOTFS=$TMP/rootfs
make_rootfs "$ROOTFS" || bail_out "cannot build the busybox root filesystem"

plan 34

LIMIT=$((256 * MiB))
SOFT=$((LIMIT / 4))

new_bundle() {
  ID=$RT_NAME-$1
  shift
  rm -rf "${TMP:?}/out"/*
  runc_bundle "$TMP/$ID" "$ROOTFS" 256 "$@"
}

# --- a leak that ignores SIGTERM: SIGKILL after the grace ----------------------------------
# The termination log is a host file bind-mounted at /dev/termination-log, vigil's default.
TLOG=$TMP/termination-log
: >"$TLOG"
new_bundle ignore "$TLOG" -- /bin/vigil -v --log-format json --mem-limit 25% \
  --mem-sustain 500ms --mem-interval 100ms --mem-grace 1s \
  -- leaker --rate 50 --limit 160 --on-term ignore
reset_peak
t0=$(now_ms)
runc_run "$ID" "$TMP/$ID" "$TMP/ignore.out" "$TMP/ignore.err"
t1=$(now_ms)
E=$TMP/ignore.err
is "$RC" 137 "leak ignoring SIGTERM: runc run exits 137"
is "$(ev get "$E" mem_armed 1 source)" cgroup1 "mem_armed: source cgroup1 (found by --mem-source auto)"
is "$(ev get "$E" mem_armed 1 cgroup_max_bytes)" "$LIMIT" "mem_armed: cgroup_max_bytes is the container's limit from config.json"
is "$(ev get "$E" mem_armed 1 limit_bytes)" "$SOFT" "mem_armed: limit_bytes is 25% of it"
is "$(ev get "$E" mem_armed 1 location)" /sys/fs/cgroup/memory "mem_armed: the container's cgroup, as mounted by runc"
diag "$(grep '"mem_armed"' "$E")"
usage=$(ev get "$E" mem_exceeded 1 usage_bytes)
[[ $usage =~ ^[0-9]+$ ]] || usage=0
in_range "$usage" "$SOFT" $((LIMIT - 1)) "mem_exceeded: usage over the soft limit, under the container's limit"
is "$(ev get "$E" mem_kill 1 signal),$(ev get "$E" mem_kill 1 target)" SIGTERM,child "first SIGTERM to the program"
is "$(ev get "$E" mem_kill 2 signal),$(ev get "$E" mem_kill 2 target),$(ev get "$E" mem_kill 2 reason)" \
  "SIGKILL,all,grace expired" "then SIGKILL to every process when the grace expires"
a=$(ev ms "$E" mem_kill 1)
b=$(ev ms "$E" mem_kill 2)
{ [ "$a" = "<none>" ] || [ "$b" = "<none>" ]; } && a=0 b=-1
in_range $((b - a)) 900 2500 "SIGKILL 1 s after SIGTERM (ms)"
is "$(ev get "$E" exit 1 code),$(ev get "$E" exit 1 reason)" "137,memory limit" "exit event: 137, memory limit"
is "$(ev count "$E" kernel_oom)" 0 "no kernel_oom event"
peak=$(peak_usage)
in_range "$peak" "$SOFT" $((LIMIT - 16 * MiB)) "host view: the container's peak usage stayed below its limit (memory.max_usage_in_bytes): $((peak / MiB)) MiB"
unlike "$(cat "$TMP/ignore.out")" 'got SIGTERM' "the leaker ignored SIGTERM"
tlog=$(cat "$TLOG")
diag "termination log: $tlog"
like "$tlog" '^vigil: memory limit exceeded: workingset .* stayed at or over the soft limit' \
  "termination log (bind-mounted /dev/termination-log): the reason"
like "$tlog" 'source cgroup1' "termination log: source cgroup1"
like "$tlog" 'Outcome: SIGKILL sent .*exited with code 137' "termination log: the outcome"
in_range $((t1 - t0)) 1500 15000 "the whole run took $((t1 - t0)) ms"
[ "$RC" = 137 ] || show "$E"

# --- a leak that exits on SIGTERM; termination log on a mounted directory -------------------
new_bundle exit -- /bin/vigil -v --log-format json --mem-limit 64Mi --mem-sustain 500ms \
  --mem-interval 100ms --mem-grace 5s --termination-log /out/tlog \
  -- leaker --rate 50 --on-term exit
runc_run "$ID" "$TMP/$ID" "$TMP/exit.out" "$TMP/exit.err"
E=$TMP/exit.err
is "$RC" 137 "leak exiting on SIGTERM: runc run exits 137 (--mem-exit-code default)"
like "$(cat "$TMP/exit.out")" '^leaker: got SIGTERM' "the leaker got SIGTERM"
is "$(ev count "$E" mem_kill)" 1 "one mem_kill: SIGTERM sufficed"
is "$(ev get "$E" mem_armed 1 limit_bytes),$(ev get "$E" mem_armed 1 cgroup_max_bytes)" "$SOFT,$LIMIT" \
  "mem_armed: 64Mi soft limit, 256 MiB container limit"
tlog=$(cat "$TMP/out/tlog" 2>/dev/null)
like "$tlog" 'memory limit exceeded' "termination log (--termination-log /out/tlog): the reason"
like "$tlog" 'Largest processes by RSS: [0-9]+ leaker' "termination log: the leaker is the largest process"
like "$tlog" 'exited with code 137' "termination log: the outcome"
[ "$RC" = 137 ] || show "$E"

# --- a fast leak and a hard limit: vigil acts before the kernel's OOM killer ----------------
new_bundle fast -- /bin/vigil -v --log-format json --mem-hard-limit 50% --mem-grace 2s \
  -- leaker -q --rate 150 --ticks 50 --on-term exit
reset_peak
runc_run "$ID" "$TMP/$ID" "$TMP/fast.out" "$TMP/fast.err"
E=$TMP/fast.err
is "$RC" 137 "fast leak (150 MiB/s) over a hard limit: runc run exits 137"
is "$(ev get "$E" mem_exceeded 1 limit)" hard "mem_exceeded: the hard limit"
usage=$(ev get "$E" mem_exceeded 1 usage_bytes)
[[ $usage =~ ^[0-9]+$ ]] || usage=0
in_range "$usage" $((LIMIT / 2)) $((LIMIT * 85 / 100)) "caught soon after the hard limit, well below the container's limit"
like "$(cat "$TMP/fast.out")" 'got SIGTERM' "the leaker got SIGTERM"
is "$(ev count "$E" kernel_oom)" 0 "no kernel_oom event"
peak=$(peak_usage)
in_range "$peak" $((LIMIT / 2)) $((LIMIT * 85 / 100)) "host view: peak usage below 85% of the limit: $((peak / MiB)) MiB"
[ "$RC" = 137 ] || show "$E"

# --- control: without vigil the same fast leak runs into the kernel's limit ------------------
new_bundle control -- leaker -q --rate 150 --ticks 50
reset_peak
runc_run "$ID" "$TMP/$ID" "$TMP/control.out" "$TMP/control.err"
is "$RC" 137 "control: the leak alone is killed by the kernel's OOM killer (137)"
peak=$(peak_usage)
in_range "$peak" $((LIMIT - 16 * MiB)) $((LIMIT + 16 * MiB)) "control: host view: the peak usage reached the 256 MiB limit: $((peak / MiB)) MiB"

# --- without a memory limit in config.json, % is an error, not host RAM ---------------------
ID=$RT_NAME-nolimit
rm -rf "${TMP:?}/out"/*
runc_bundle "$TMP/$ID" "$ROOTFS" 0 -- /bin/vigil --mem-limit 90% -- sh -c 'exit 0'
runc_run "$ID" "$TMP/$ID" "$TMP/nolimit.out" "$TMP/nolimit.err"
is "$RC" 2 "no container memory limit: --mem-limit 90% is a usage error (exit 2)"
like "$(cat "$TMP/nolimit.err")" 'mem-limit' "the error names --mem-limit"

done_testing
