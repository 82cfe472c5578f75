#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Single quotes keep $ for the shell inside the container.
# shellcheck disable=SC2016
# vigil as PID 1 of podman containers, both ways it is used: `podman run --init --init-path
# vigil` (podman bind-mounts it at /run/podman-init and runs `/run/podman-init -- CMD`) and
# as the image's ENTRYPOINT. `podman kill -s` and `podman stop` reach the program through
# vigil, and the container's exit code is the program's (128+N when signal N killed it).
. "$(dirname "$0")/rtlib.sh"
require_rt_env
require_podman

ROOTFS=$TMP/rootfs
make_rootfs "$ROOTFS" || bail_out "cannot build the busybox root filesystem"
podman_setup "$ROOTFS" || bail_out "podman cannot import the root filesystem as an image"

plan 28

INIT=(--init --init-path "$TEST_VIGIL" -e VIGIL_VERBOSE=1)
TRAP='trap "echo TERM >/out/marker; kill \$s 2>/dev/null; exit $CODE" TERM
      sleep 30 & s=$!; echo 1 >/out/ready; wait $s'

# pm_start NAME ARGS...: `podman run -d` bounded, with the common flags; false on failure.
pm_start() {
  local name=$1
  shift
  rm -rf "${TMP:?}/out"/*
  timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" run -d --name "$name" "${PODMAN_RUN[@]}" "$@" \
    >"$TMP/$name.id" 2>"$TMP/$name.start-err" || {
    diag "podman run $name failed: $(cat "$TMP/$name.start-err")"
    return 1
  }
}
pm_logs() { "${PODMAN[@]}" logs "$1" >"$TMP/$1.log" 2>&1; cat "$TMP/$1.log"; }

# --- --init-path: podman kill -s TERM reaches a shell that traps it -------------------------
N=$(pm_name init-trap)
pm_start "$N" "${INIT[@]}" -e CODE=42 "$PODMAN_IMAGE" sh -c "$TRAP"
if wait_for_file "$TMP/out/ready" 20; then
  is "$("${PODMAN[@]}" exec "$N" cat /proc/1/cmdline | tr '\0' ' ')" \
    "/run/podman-init -- sh -c $TRAP " "PID 1 is /run/podman-init (vigil) running the program"
  "${PODMAN[@]}" kill -s TERM "$N" >/dev/null
else
  not_ok "PID 1 is /run/podman-init (vigil) running the program"
fi
is "$(pm_wait "$N")" 42 "podman kill -s TERM: the trap ran, the container's exit code is 42"
is "$(cat "$TMP/out/marker" 2>/dev/null)" TERM "the program got SIGTERM"
log=$(pm_logs "$N")
like "$log" '^vigil: start .*pid1=true' "vigil ran as PID 1"
like "$log" '^vigil: signal received=SIGTERM forwarded_as=SIGTERM target=child' "vigil forwarded SIGTERM"
like "$log" '^vigil: exit code=42' "vigil exited 42"

# --- --init-path: several signals, then podman stop ----------------------------------------
N=$(pm_name init-rec)
pm_start "$N" "${INIT[@]}" "$PODMAN_IMAGE" sigrecorder -x 15 -t 30 /out/signals /out/ready
sent=0
if wait_for_file "$TMP/out/ready" 20; then
  for s in USR1:10 HUP:1 USR2:12; do
    "${PODMAN[@]}" kill -s "${s%:*}" "$N" >/dev/null && sent=$((sent + 1))
    wait_until 10 grep -qx "${s#*:}" "$TMP/out/signals"
  done
fi
t0=$(now_ms)
timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" stop -t 20 "$N" >/dev/null 2>&1
t1=$(now_ms)
is "$sent" 3 "podman kill -s delivered three signals"
is "$(tr '\n' ' ' <"$TMP/out/signals" 2>/dev/null)" "10 1 12 15 " \
  "the program recorded USR1 HUP USR2, then the SIGTERM of podman stop"
in_range $((t1 - t0)) 0 10000 "podman stop returned long before its 20 s SIGKILL timeout (ms)"
is "$(pm_wait "$N")" 0 "the program exited 0 on SIGTERM: exit code 0"

# --- ENTRYPOINT: podman stop reaches a shell that traps SIGTERM -----------------------------
N=$(pm_name entry-stop)
pm_start "$N" -e CODE=0 "$PODMAN_VIGIL_IMAGE" -v -- sh -c "$TRAP"
wait_for_file "$TMP/out/ready" 20
t0=$(now_ms)
timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" stop -t 20 "$N" >/dev/null 2>&1
t1=$(now_ms)
in_range $((t1 - t0)) 0 10000 "ENTRYPOINT vigil: podman stop took $((t1 - t0)) ms (SIGTERM, no SIGKILL)"
is "$(cat "$TMP/out/marker" 2>/dev/null)" TERM "the program got the SIGTERM of podman stop"
is "$(pm_wait "$N")" 0 "its trap exited 0: exit code 0"
log=$(pm_logs "$N")
like "$log" '^vigil: start program=sh .*pid1=true' "vigil (the ENTRYPOINT) ran as PID 1"

# --- ENTRYPOINT: a program that ignores SIGTERM; podman stop -t 1 kills vigil -------------
N=$(pm_name entry-ignore)
pm_start "$N" "$PODMAN_VIGIL_IMAGE" -- sh -c \
  'trap "echo TERM >/out/marker" TERM; echo 1 >/out/ready; while :; do sleep 0.1; done'
wait_for_file "$TMP/out/ready" 20
t0=$(now_ms)
timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" stop -t 1 "$N" >/dev/null 2>&1
t1=$(now_ms)
is "$(pm_wait "$N")" 137 "program ignoring SIGTERM: podman stop -t 1 SIGKILLs, exit code 137"
is "$(cat "$TMP/out/marker" 2>/dev/null)" TERM "the SIGTERM did reach the program first"
in_range $((t1 - t0)) 900 10000 "after the 1 s stop timeout (ms)"

# --- exit codes (podman run in the foreground) ----------------------------------------------
# run_case NAME EXPECTED DESCRIPTION PODMAN-RUN-ARGS...
run_case() {
  local name=$1 want=$2 desc=$3 rc=0
  shift 3
  timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" run --rm --name "$(pm_name "$name")" "${PODMAN_RUN[@]}" "$@" \
    </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
  is "$rc" "$want" "$desc"
  [ "$rc" = "$want" ] || show "$TMP/$name.err"
}
run_case i-exit3 3 "--init: exit 3 comes through" "${INIT[@]}" "$PODMAN_IMAGE" sh -c 'exit 3'
run_case i-exit0 0 "--init: exit 0 comes through" "${INIT[@]}" "$PODMAN_IMAGE" sh -c 'exit 0'
run_case i-usr1 138 "--init: killed by SIGUSR1: 128+10" "${INIT[@]}" "$PODMAN_IMAGE" sh -c 'kill -USR1 $$; sleep 5'
like "$(cat "$TMP/i-usr1.err")" 'exit code=138 .*killed by SIGUSR1' "vigil reports the signal that killed the program"
run_case e-exit255 255 "ENTRYPOINT: exit 255 comes through" "$PODMAN_VIGIL_IMAGE" sh -c 'exit 255'
run_case e-kill 137 "ENTRYPOINT: killed by SIGKILL: 128+9" "$PODMAN_VIGIL_IMAGE" sh -c 'kill -KILL $$; sleep 5'
run_case e-hup 129 "ENTRYPOINT: killed by SIGHUP: 128+1" "$PODMAN_VIGIL_IMAGE" sh -c 'kill -HUP $$; sleep 5'
run_case e-missing 127 "ENTRYPOINT: program not found: 127" "$PODMAN_VIGIL_IMAGE" /bin/no-such-program
like "$(cat "$TMP/e-missing.err")" '^vigil: .*no-such-program' "vigil names the missing program"
run_case e-remap 0 "ENTRYPOINT: --remap-exit 143 turns a SIGTERM death into 0" "$PODMAN_VIGIL_IMAGE" \
  --remap-exit 143 -- sh -c 'kill -TERM $$; sleep 5'

is "$("${PODMAN[@]}" ps -a --format '{{.Names}}' | grep -c "^$RT_NAME-" || true)" 4 \
  "only the four detached containers remain until cleanup (--rm removed the others)"

done_testing
