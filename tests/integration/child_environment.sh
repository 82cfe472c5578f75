#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The child starts as it would without vigil: the caller's signal mask and ignored signals,
# working directory and file descriptors, nothing of vigil's own; vigil moves to /, lets go
# of the inherited stdout, and points LISTEN_PID at the child.
. "$(dirname "$0")/lib.sh"
require_root

plan $((2 * 15))

WORK=$TMP/work
mkdir "$WORK"
WORK=$(cd "$WORK" && pwd -P)
echo seven >"$TMP/fd7"

sigline() { grep "^$1:" <<<"$2" | awk '{print $2}'; }
# has_bit HEXMASK SIGNUM
has_bit() { [ $((0x$1 >> ($2 - 1) & 1)) = 1 ]; }

for mode in $MODES; do
  pre=$(vigil_cmd "$mode")

  # --- signal mask and dispositions ----------------------------------------------------------
  # withsigs plays the caller: SIGUSR1 ignored, SIGUSR2 blocked, then exec (vigil or not).
  # shellcheck disable=SC2086
  without=$(timeout 10 $pre "$H/withsigs" -i 10 -b 12 -- grep -E '^Sig(Blk|Ign)' /proc/self/status)
  # shellcheck disable=SC2086
  with=$(timeout 10 $pre "$H/withsigs" -i 10 -b 12 -- "$TEST_VIGIL" -- \
    grep -E '^Sig(Blk|Ign)' /proc/self/status)
  is "$(sigline SigIgn "$with")" "$(sigline SigIgn "$without")" \
    "$mode: the child has the caller's ignored signals (SigIgn), as without vigil"
  is "$(sigline SigBlk "$with")" "$(sigline SigBlk "$without")" \
    "$mode: the child has the caller's signal mask (SigBlk), as without vigil"
  check "$mode: an inherited SIG_IGN for SIGUSR1 stays ignored in the child" \
    has_bit "$(sigline SigIgn "$with")" 10
  check "$mode: an inherited block of SIGUSR2 stays blocked in the child" \
    has_bit "$(sigline SigBlk "$with")" 12
  # shellcheck disable=SC2086
  without=$(timeout 10 $pre grep -E '^SigBlk' /proc/self/status)
  # shellcheck disable=SC2086
  with=$(timeout 10 $pre "$TEST_VIGIL" -- grep -E '^SigBlk' /proc/self/status)
  is "$(sigline SigBlk "$with")" "$(sigline SigBlk "$without")" \
    "$mode: nothing vigil blocks for itself leaks into the child's mask"

  # --- working directories ---------------------------------------------------------------------
  got=$(cd "$WORK" && run_vigil "$mode" 10 -- readlink /proc/self/cwd)
  is "$got" "$WORK" "$mode: the child starts in the caller's working directory"

  # vigil's own cwd, read from outside once its child runs (vigil moves right after the exec).
  run=$TMP/$mode.cwd
  (cd "$WORK" && start_vigil "$mode" 20 -- \
     sh -c 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 10' "$run.ready"
   wait_for_file "$run.ready" || diag "$mode: the child did not start"
   deadline=$(($(now_ms) + 3000))
   cwd=$(readlink "/proc/$VPID/cwd")
   while [ "$cwd" != / ] && [ "$(now_ms)" -lt "$deadline" ]; do
     sleep 0.02
     cwd=$(readlink "/proc/$VPID/cwd")
   done
   echo "$cwd" >"$run"
   kill -s TERM "$VPID"
   finish_vigil
   [ "$RC" = 143 ] || diag "$mode: vigil (pid $VPID) exited $RC, not 143 (SIGTERM forwarded to sleep)")
  is "$(cat "$run")" / "$mode: vigil itself moves to / (readlink /proc/<vigil>/cwd)"

  # --- file descriptors ----------------------------------------------------------------------
  exec 7<"$TMP/fd7"
  # shellcheck disable=SC2086
  without=$(timeout 10 $pre ls /proc/self/fd 2>&1 | sort -n | tr '\n' ' ')
  # shellcheck disable=SC2086
  with=$(timeout 10 $pre "$TEST_VIGIL" -- ls /proc/self/fd 2>&1 | sort -n | tr '\n' ' ')
  is "$with" "$without" "$mode: the child has exactly the inherited descriptors, nothing of vigil's"
  like "$with" '(^| )7 ' "$mode: the inherited fd 7 reaches the child"
  got=$(run_vigil "$mode" 10 -- cat /proc/self/fd/7 2>&1)
  is "$got" seven "$mode: fd 7 in the child is the caller's open file"
  exec 7<&-

  # --- LISTEN_PID ----------------------------------------------------------------------------
  if [ "$mode" = pid1 ]; then
    got=$(LISTEN_PID=1 run_vigil pid1 10 -- sh -c 'echo "$LISTEN_PID $$"')
  else
    got=$(timeout 10 sh -c 'LISTEN_PID=$$ exec "$0" -- sh -c "echo \"\$LISTEN_PID \$\$\""' \
      "$TEST_VIGIL")
  fi
  listen=${got% *} childpid=${got#* }
  if [ -n "$got" ] && [ "$listen" = "$childpid" ]; then
    ok "$mode: LISTEN_PID naming vigil is rewritten to the child's pid"
  else
    not_ok "$mode: LISTEN_PID naming vigil is rewritten to the child's pid"
    diag "child saw LISTEN_PID and \$\$ as: '$got'"
  fi
  got=$(LISTEN_PID=99999 run_vigil "$mode" 10 -- sh -c 'echo "$LISTEN_PID"')
  is "$got" 99999 "$mode: LISTEN_PID naming another process is passed unchanged"

  # --- the inherited stdin and stdout are released once the child runs -----------------------
  out_fifo=$TMP/$mode.out-fifo in_fifo=$TMP/$mode.in-fifo
  mkfifo "$out_fifo" "$in_fifo"
  { cat "$out_fifo" >/dev/null; now_ms >"$TMP/$mode.eof"; } &
  reader=$!
  # The writer fails (SIGPIPE or EPIPE) once no process holds the read end any more.
  { cat /dev/zero >"$in_fifo" 2>/dev/null; now_ms >"$TMP/$mode.epipe"; } &
  writer=$!
  t0=$(now_ms)
  rc=0
  # Only vigil gets the FIFOs as stdin and stdout: not timeout, not unshare.
  # shellcheck disable=SC2086
  timeout -k 3 10 $pre sh -c 'exec "$0" -- sh -c "exec <&- >&-; sleep 3" <"$1" >"$2"' \
    "$TEST_VIGIL" "$in_fifo" "$out_fifo" || rc=$?
  t1=$(now_ms)
  wait "$reader" "$writer"
  eof=$(cat "$TMP/$mode.eof") epipe=$(cat "$TMP/$mode.epipe")
  if [ $((eof - t0)) -lt 2000 ] && [ $((t1 - t0)) -ge 2500 ]; then
    ok "$mode: the reader of vigil's stdout sees EOF as soon as the child closes it"
  else
    not_ok "$mode: the reader of vigil's stdout sees EOF as soon as the child closes it"
    diag "EOF after $((eof - t0)) ms; vigil exited after $((t1 - t0)) ms"
  fi
  if [ $((epipe - t0)) -lt 2000 ]; then
    ok "$mode: the writer into vigil's stdin sees a broken pipe as soon as the child closes it"
  else
    not_ok "$mode: the writer into vigil's stdin sees a broken pipe as soon as the child closes it"
    diag "broken pipe after $((epipe - t0)) ms; vigil exited after $((t1 - t0)) ms"
  fi
  is "$rc" 0 "$mode: vigil exits 0 after the child that closed its stdin and stdout"
done

done_testing
