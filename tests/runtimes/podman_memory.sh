#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Single quotes keep $ for the shell inside the container.
# shellcheck disable=SC2016
# Memory policing in podman containers with `--memory 256m`: vigil as the image's ENTRYPOINT
# (options on the command line) and as `--init-path` (options from VIGIL_* environment
# variables, the only way to configure podman's init) finds the container's cgroup v1 memory
# controller by itself, resolves --mem-limit 25% against the container's limit, and stops a
# leak: SIGTERM, SIGKILL after the grace when it is ignored, exit 137, the reason in the
# termination log, and no kernel OOM kill: the peak usage of the containers' parent cgroup,
# read on the host, stays below the limit (without vigil the same leak reaches it and the
# kernel kills it).
. "$(dirname "$0")/rtlib.sh"
require_rt_env
require_podman
require_memory_v1

ROOTFS=$TMP/rootfs
make_rootfs "$ROOTFS" || bail_out "cannot build the busybox root filesystem"
podman_setup "$ROOTFS" || bail_out "podman cannot import the root filesystem as an image"

plan 28

LIMIT=$((256 * MiB))
SOFT=$((LIMIT / 4))

# --- ENTRYPOINT, a leak that ignores SIGTERM ------------------------------------------------
# A host file bind-mounted at /dev/termination-log, vigil's default termination log.
TLOG=$TMP/termination-log
: >"$TLOG"
rm -rf "${TMP:?}/out"/*
RC=0
reset_peak
t0=$(now_ms)
timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" run --rm --name "$(pm_name entry)" "${PODMAN_RUN[@]}" \
  --memory 256m -v "$TLOG:/dev/termination-log" "$PODMAN_VIGIL_IMAGE" \
  -v --log-format json --mem-limit 25% --mem-sustain 500ms --mem-interval 100ms --mem-grace 1s \
  -- leaker --rate 50 --limit 160 --on-term ignore </dev/null >"$TMP/entry.out" 2>"$TMP/entry.err" || RC=$?
t1=$(now_ms)
E=$TMP/entry.err
is "$RC" 137 "ENTRYPOINT, leak ignoring SIGTERM: podman run exits 137"
is "$(ev get "$E" mem_armed 1 source)" cgroup1 "mem_armed: source cgroup1 (found by --mem-source auto)"
is "$(ev get "$E" mem_armed 1 cgroup_max_bytes)" "$LIMIT" "mem_armed: cgroup_max_bytes is the --memory 256m limit"
is "$(ev get "$E" mem_armed 1 limit_bytes)" "$SOFT" "mem_armed: limit_bytes is 25% of it"
diag "$(grep '"mem_armed"' "$E")"
usage=$(ev get "$E" mem_exceeded 1 usage_bytes)
[[ $usage =~ ^[0-9]+$ ]] || usage=0
in_range "$usage" "$SOFT" $((LIMIT - 1)) "mem_exceeded: usage over the soft limit, under the container's limit"
is "$(ev get "$E" mem_kill 1 signal),$(ev get "$E" mem_kill 1 target)" SIGTERM,child "first SIGTERM to the program"
is "$(ev get "$E" mem_kill 2 signal),$(ev get "$E" mem_kill 2 reason)" "SIGKILL,grace expired" \
  "then SIGKILL when the 1 s grace expires"
a=$(ev ms "$E" mem_kill 1)
b=$(ev ms "$E" mem_kill 2)
{ [ "$a" = "<none>" ] || [ "$b" = "<none>" ]; } && a=0 b=-1
in_range $((b - a)) 900 2500 "SIGKILL 1 s after SIGTERM (ms)"
is "$(ev count "$E" kernel_oom)" 0 "no kernel_oom event"
peak=$(peak_usage)
in_range "$peak" "$SOFT" $((LIMIT - 16 * MiB)) "host view: the container's peak usage stayed below its limit (memory.max_usage_in_bytes): $((peak / MiB)) MiB"
unlike "$(cat "$TMP/entry.out")" 'got SIGTERM' "the leaker ignored SIGTERM"
tlog=$(cat "$TLOG")
diag "termination log: $tlog"
like "$tlog" '^vigil: memory limit exceeded: workingset .* stayed at or over the soft limit' \
  "termination log (bind-mounted /dev/termination-log): the reason"
like "$tlog" 'source cgroup1' "termination log: source cgroup1"
like "$tlog" 'Outcome: SIGKILL sent .*exited with code 137' "termination log: the outcome"
in_range $((t1 - t0)) 1500 20000 "the whole podman run took $((t1 - t0)) ms"
[ "$RC" = 137 ] || show "$E"

# --- --init-path, configured through the environment; a leak that exits on SIGTERM ---------
N=$(pm_name init)
rm -rf "${TMP:?}/out"/*
reset_peak
timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" run -d --name "$N" "${PODMAN_RUN[@]}" --memory 256m \
  --init --init-path "$TEST_VIGIL" -e VIGIL_VERBOSE=1 -e VIGIL_LOG_FORMAT=json \
  -e VIGIL_MEM_LIMIT=25% -e VIGIL_MEM_SUSTAIN=500ms -e VIGIL_MEM_INTERVAL=100ms \
  -e VIGIL_MEM_GRACE=5s -e VIGIL_TERMINATION_LOG=/out/tlog \
  "$PODMAN_IMAGE" leaker --rate 50 --on-term exit >/dev/null 2>"$TMP/init.start-err" ||
  diag "podman run failed: $(cat "$TMP/init.start-err")"
is "$(pm_wait "$N")" 137 "--init-path, leak exiting on SIGTERM: exit code 137"
"${PODMAN[@]}" logs "$N" >"$TMP/init.log" 2>&1
E=$TMP/init.log
is "$(ev get "$E" mem_armed 1 source),$(ev get "$E" mem_armed 1 limit_bytes),$(ev get "$E" mem_armed 1 cgroup_max_bytes)" \
  "cgroup1,$SOFT,$LIMIT" "mem_armed from VIGIL_* variables: cgroup1, 25% of 256 MiB"
like "$(cat "$E")" '^leaker: got SIGTERM' "the leaker got SIGTERM"
is "$(ev count "$E" mem_kill)" 1 "one mem_kill: SIGTERM sufficed"
is "$(ev get "$E" exit 1 code),$(ev get "$E" exit 1 reason)" "137,memory limit" "exit event: 137, memory limit"
is "$(ev count "$E" kernel_oom)" 0 "no kernel_oom event"
peak=$(peak_usage)
in_range "$peak" "$SOFT" $((LIMIT - 16 * MiB)) "host view: peak usage below the container's limit: $((peak / MiB)) MiB"
is "$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$N")" 137 "podman inspect: ExitCode 137"
tlog=$(cat "$TMP/out/tlog" 2>/dev/null)
like "$tlog" 'memory limit exceeded' "termination log (VIGIL_TERMINATION_LOG=/out/tlog): the reason"
like "$tlog" 'Largest processes by RSS: [0-9]+ leaker' "termination log: the leaker is the largest process"
like "$tlog" 'exited with code 137' "termination log: the outcome"

# --- the kernel's limit is really there: without vigil the same leak is OOM-killed -----------
N=$(pm_name nopolice)
rm -rf "${TMP:?}/out"/*
reset_peak
timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" run -d --name "$N" "${PODMAN_RUN[@]}" --memory 256m \
  --memory-swap 256m "$PODMAN_IMAGE" leaker -q --rate 200 --ticks 50 >/dev/null 2>"$TMP/nopolice.start-err" ||
  diag "podman run failed: $(cat "$TMP/nopolice.start-err")"
is "$(pm_wait "$N")" 137 "control: the leak alone is killed by the kernel at 256 MiB (137)"
peak=$(peak_usage)
in_range "$peak" $((LIMIT - 16 * MiB)) $((LIMIT + 16 * MiB)) "control: host view: the peak usage reached the 256 MiB limit: $((peak / MiB)) MiB"

done_testing
