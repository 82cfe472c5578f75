#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A termination log that cannot be written must not stop the memory action or supervision.
# Usage stays over the soft limit of a fake cgroup v2 tree, so the action starts; the
# --termination-log path is a directory, a path in a directory that does not exist, a file on
# a read-only bind mount, a FIFO nobody reads, or /dev/full (open works, write fails). vigil,
# as PID 1, gives exactly one warning line naming the path for the whole action (the reason and
# the outcome are both written, and both fail), still sends the graceful signal, forwards
# SIGHUP during the grace, holds no more descriptors than at the start, and exits with the
# child's code (7, --mem-exit-code child).
. "$(dirname "$0")/hardlib.sh"
require_root
require_helpers sigcount
unshare --mount true 2>/dev/null || skip_all "needs unshare --mount"

ABOVE=$((400 * MiB)) # workingset 336 MiB, over 50% of the fixture's 512 MiB memory.max
PER_CASE=7

mkdir -p "$TMP/ro" "$TMP/isdir.log"
mkfifo "$TMP/fifo.log"
# Runs vigil with $TMP/ro bind-mounted read-only, in the mount namespace of unshare.
printf '#!/bin/sh\nmount --bind "%s" "%s" && mount -o remount,bind,ro "%s" && exec "$@"\n' \
  "$TMP/ro" "$TMP/ro" "$TMP/ro" >"$TMP/romount"
chmod +x "$TMP/romount"

CASES="isdir nodir readonly fifo full"
plan $(($(wc -w <<<"$CASES") * PER_CASE))

for name in $CASES; do
  WRAPPER=""
  case $name in
    isdir) tlog=$TMP/isdir.log ;;
    nodir) tlog=$TMP/no/such/dir/termination.log ;;
    readonly)
      tlog=$TMP/ro/termination.log
      WRAPPER=$TMP/romount
      ;;
    fifo) tlog=$TMP/fifo.log ;;
    full) tlog=/dev/full ;;
  esac
  D=$(fake_v2 "$name")
  set_file "$D/memory.current" "$ABOVE"
  err=$TMP/$name.err
  # The child counts signals and survives SIGTERM (it only writes its counts); SIGUSR1 ends it.
  start_vigil pid1 60 -v --cgroup-root "$D" --mem-limit 50% --mem-sustain 100ms \
    --mem-interval 50ms --mem-grace 20s --mem-exit-code child --termination-log "$tlog" \
    -- "$HH/sigcount" -d 15 -x 10 -e 7 -t 50 "$TMP/$name.counts" "$TMP/$name.ready" 2>"$err" ||
    diag "$name: vigil did not start"
  WRAPPER=""
  wait_for_file "$TMP/$name.ready" 20 || diag "$name: the child did not start"
  fd0=$(fd_settled "$VPID")
  wait_for_file "$TMP/$name.counts" 10 || diag "$name: no SIGTERM within 10 s"
  is "$(count_of "$TMP/$name.counts" 15)" 1 "$name: the memory action sent SIGTERM to the child"
  wait_for_grep "$err" 'mem_kill' 5 || diag "$name: no mem_kill"
  check "$name: vigil is running during the grace" alive "$VPID"
  fd1=$(fd_end "$VPID")
  check_fds "$name" "$fd0" "$fd1"
  rm -f "$TMP/$name.counts"
  kill -HUP "$VPID"
  kill -USR1 "$VPID"
  finish_vigil
  is "$RC" 7 "$name: vigil exits with the child's code (7, --mem-exit-code child)"
  is "$(count_of "$TMP/$name.counts" 1)" 1 "$name: SIGHUP was forwarded during the grace"
  warnings=$(grep '^vigil: warning:.*termination log' "$err")
  is "$(grep -c '^vigil: warning:.*termination log' "$err")" 1 \
    "$name: exactly one warning line about the termination log"
  like "$warnings" "${tlog//./\\.}" "$name: the warning names the path"
  if [ "$(grep -c '^vigil: warning:.*termination log' "$err")" != 1 ] || [ "$RC" != 7 ]; then
    diag "$name: vigil's stderr:"
    show "$err"
  fi
done

done_testing
