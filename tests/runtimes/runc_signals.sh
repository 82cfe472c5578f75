#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Single quotes keep $ for the shell inside the container.
# shellcheck disable=SC2016
# vigil as PID 1 of an OCI container run by runc (busybox-static root filesystem, a memory
# limit in config.json): `runc kill` reaches the program through vigil, and `runc run` exits
# with the program's exit code, or 128+N when a signal N killed it.
. "$(dirname "$0")/rtlib.sh"
require_rt_env
require_runc

ROOTFS=$TMP/rootfs
make_rootfs "$ROOTFS" || bail_out "cannot build the busybox root filesystem"

plan 19

# new_bundle NAME ARGS...: a bundle (256 MiB limit) for a container running ARGS; sets ID.
new_bundle() {
  ID=$RT_NAME-$1
  shift
  rm -rf "${TMP:?}/out"/*
  runc_bundle "$TMP/$ID" "$ROOTFS" 256 -- "$@"
}

# --- runc kill TERM reaches a shell that traps it ------------------------------------------
new_bundle trap /bin/vigil -v -- sh -c \
  'trap "echo TERM >/out/marker; kill \$s 2>/dev/null; exit 42" TERM
   sleep 30 & s=$!; echo 1 >/out/ready; wait $s'
runc_start "$ID" "$TMP/$ID" "$TMP/trap.out" "$TMP/trap.err"
if wait_for_file "$TMP/out/ready" 20; then
  is "$(runc_state "$ID")" running "the container runs"
  "${RUNC[@]}" kill "$ID" TERM
else
  not_ok "the container runs"
  show "$TMP/trap.err"
fi
finish_vigil
is "$RC" 42 "runc kill TERM: the program's trap ran, runc run exits with its code 42"
is "$(cat "$TMP/out/marker" 2>/dev/null)" TERM "the program got SIGTERM (marker written by its trap)"
like "$(cat "$TMP/trap.err")" '^vigil: start .*pid1=true' "vigil ran as PID 1 of the container"
like "$(cat "$TMP/trap.err")" '^vigil: signal received=SIGTERM forwarded_as=SIGTERM target=child' \
  "vigil received SIGTERM from runc and forwarded it"
like "$(cat "$TMP/trap.err")" '^vigil: exit code=42' "vigil exited 42"

# --- several signals, each recorded by the program, then TERM ends it ----------------------
new_bundle rec /bin/vigil -- sigrecorder -x 15 -t 30 /out/signals /out/ready
runc_start "$ID" "$TMP/$ID" "$TMP/rec.out" "$TMP/rec.err"
sent=0
if wait_for_file "$TMP/out/ready" 20; then
  # One at a time: two different pending signals are delivered lowest number first.
  for s in USR1:10 HUP:1 USR2:12 WINCH:28 TERM:15; do
    "${RUNC[@]}" kill "$ID" "${s%:*}" && sent=$((sent + 1))
    [ "${s%:*}" = TERM ] || wait_until 10 grep -qx "${s#*:}" "$TMP/out/signals"
  done
fi
finish_vigil
is "$sent" 5 "runc kill delivered five signals to the container's init"
# `runc run` in the foreground relays every signal it gets to the container, SIGURG (23) too,
# which the Go runtime sends to its own threads: those are left out of the comparison.
is "$(grep -vx 23 "$TMP/out/signals" 2>/dev/null | tr '\n' ' ')" "10 1 12 28 15 " \
  "the program recorded USR1 HUP USR2 WINCH TERM, in order"
is "$RC" 0 "the program exited 0 after SIGTERM: runc run exits 0"
[ "$RC" = 0 ] || show "$TMP/rec.err"

# --- exit codes ---------------------------------------------------------------------------
# exit_case NAME EXPECTED DESCRIPTION ARGS...
exit_case() {
  local name=$1 want=$2 desc=$3
  shift 3
  new_bundle "$name" /bin/vigil -- "$@"
  runc_run "$ID" "$TMP/$ID" "$TMP/$name.out" "$TMP/$name.err"
  is "$RC" "$want" "$desc"
  [ "$RC" = "$want" ] || show "$TMP/$name.err"
}
exit_case exit0 0 "exit 0 comes through" sh -c 'exit 0'
exit_case exit3 3 "exit 3 comes through as runc run's status" sh -c 'exit 3'
exit_case exit255 255 "exit 255 comes through" sh -c 'exit 255'
exit_case usr1 138 "program killed by SIGUSR1: 128+10" sh -c 'kill -USR1 $$; sleep 5'
exit_case kill9 137 "program killed by SIGKILL: 128+9" sh -c 'kill -KILL $$; sleep 5'
exit_case missing 127 "program not found: 127" /bin/no-such-program
like "$(cat "$TMP/missing.err")" 'no-such-program' "vigil names the missing program"
exit_case noexec 126 "program not executable: 126" /etc/passwd

# --- runc kill KILL: the container's init dies, runc reports 128+9 ------------------------
new_bundle sigkill /bin/vigil -- sh -c 'echo 1 >/out/ready; exec sleep 30'
runc_start "$ID" "$TMP/$ID" "$TMP/sigkill.out" "$TMP/sigkill.err"
wait_for_file "$TMP/out/ready" 20 && "${RUNC[@]}" kill "$ID" KILL
finish_vigil
is "$RC" 137 "runc kill KILL (to vigil itself): runc run exits 137"
wait_until 10 test "$(runc_state "$ID")" = absent
is "$(runc_state "$ID")" absent "runc removed the container after it exited (state: absent)"

done_testing
