#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# /proc unavailable: vigil runs in a mount namespace where an empty tmpfs covers /proc (as a
# container without /proc mounted would be), or /proc is covered while it runs.
#  - plain supervision as PID 1: signals are forwarded, orphans reaped, the leftover of the
#    child gets SIGTERM at cleanup (kill(-1) needs no /proc), the exit code comes through;
#  - --mem-source procfs: without /proc at start, one error line naming /proc and exit 2 (not
#    a silent usage of 0 bytes, which would disarm the limit); when /proc is covered mid-run,
#    one warning line, supervision goes on, and one "readable again" once it is back;
#  - --signal-target all as a subreaper (descendants are found through /proc): the signal
#    still reaches the child, and one warning line says what is missing.
# In each case vigil's descriptors do not grow and the child's exit code (7) comes through.
# A vigil that cannot start without /proc at all (a sanitizer build) skips all but the mid-run
# case.
. "$(dirname "$0")/hardlib.sh"
require_root
require_helpers sigcount
unshare --mount true 2>/dev/null || skip_all "needs unshare --mount"

plan 26


# Covers /proc with an empty tmpfs, then runs the rest of the command line.
printf '#!/bin/sh\nmount -t tmpfs none /proc && exec "$@"\n' >"$TMP/noproc"
chmod +x "$TMP/noproc"

# A vigil built with sanitizers cannot start without /proc: their runtime reads
# /proc/self/environ for its options and /proc/self/maps, and the leak check at exit fails.
# Then only the case where /proc goes away while vigil runs is left.
if unshare --mount "$TMP/noproc" "$TEST_VIGIL" -- true >/dev/null 2>&1; then
  starts_without_proc=true
else
  starts_without_proc=false
  diag "this vigil cannot even run 'true' without /proc (a sanitizer build?): $(unshare --mount "$TMP/noproc" "$TEST_VIGIL" -- true 2>&1 | head -n 3)"
fi

# skip_unless_starts N WHAT: true when vigil starts without /proc; else skips N tests.
skip_unless_starts() {
  $starts_without_proc && return 0
  local i
  for ((i = 0; i < $1; i++)); do skip "$2: this vigil cannot start without /proc"; done
  return 1
}

# counter NAME: the child's command line, as one string (for sh -c); CHILD: as words.
counter() { echo "$HH/sigcount -d 64 -x 10 -e 7 -t 50 $TMP/$1.counts $TMP/$1.ready"; }
child_argv() { CHILD=("$HH/sigcount" -d 64 -x 10 -e 7 -t 50 "$TMP/$1.counts" "$TMP/$1.ready"); }

# shellcheck disable=SC2317 # hup_reaches is called through check
# hup_reaches NAME: SIGHUP, then SIGRTMAX (the child writes its counts): true when the child
# counted one SIGHUP.
hup_reaches() {
  rm -f "$TMP/$1.counts"
  kill -HUP "$VPID"
  kill -n 64 "$VPID"
  wait_for_file "$TMP/$1.counts" 5
  [ "$(count_of "$TMP/$1.counts" 1)" = 1 ]
}

# end_child NAME: SIGUSR1 to vigil, which the child exits 7 on; when it did not get there
# within 3 s, straight to the child (so that a failed forward costs no timeout), then waits.
end_child() {
  local kid
  kid=$(children_of "$VPID" | head -n1)
  kill -USR1 "$VPID"
  if [ -n "$kid" ] && ! wait_gone "$kid" 3; then
    diag "$1: SIGUSR1 did not reach the child; sent to it directly"
    kill -USR1 "$kid"
  fi
  finish_vigil
}

# zombie_children PID: how many children of PID (seen from here) are zombies.
zombie_children() {
  local n=0 c
  for c in $(children_of "$1"); do
    [ "$(proc_state "$c")" = Z ] && n=$((n + 1))
  done
  echo "$n"
}

# --- PID 1, plain supervision ---------------------------------------------------------------
if skip_unless_starts 7 plain; then
  name=plain
  WRAPPER=$TMP/noproc
  start_vigil pid1 60 -- sh -c "for i in \$(seq 50); do (sleep 0.2 &); done; exec $(counter $name)" \
    2>"$TMP/$name.err" || diag "$name: vigil did not start"
  WRAPPER=""
  wait_for_file "$TMP/$name.ready" 20 || diag "$name: the child did not start"
  fd0=$(fd_settled "$VPID")
  kid=$(children_of "$VPID" | head -n1)
  check "$name: the child sees no /proc" test ! -e "/proc/$kid/root/proc/self"
  sleep 1 # the 50 orphans have exited by now
  is "$(zombie_children "$VPID")" 0 "$name: the 50 orphans were reaped"
  check "$name: SIGHUP reaches the child" hup_reaches $name
  check "$name: vigil is running" alive "$VPID"
  check_fds "$name" "$fd0" "$(fd_end "$VPID")"
  end_child $name
  is "$RC" 7 "$name: vigil exits with the child's code (7)"
  is "$(grep -c '^vigil:' "$TMP/$name.err")" 0 "$name: nothing to report (PID 1 needs no /proc to supervise)"
  show "$TMP/$name.err"
fi

# The child exits, leaving a process that exits 0 on SIGTERM: cleanup sends it SIGTERM (as
# PID 1: kill(-1)), not only SIGKILL once --cleanup-grace has passed.
if skip_unless_starts 2 cleanup; then
  name=cleanup
  WRAPPER=$TMP/noproc
  start_vigil pid1 60 --cleanup-grace 5s -- sh -c "$HH/sigcount -x 15 -e 0 -t 50 $TMP/$name.counts $TMP/$name.ready &
    while [ ! -e $TMP/$name.ready ]; do sleep 0.02; done; exit 7" 2>"$TMP/$name.err" ||
    diag "$name: vigil did not start"
  WRAPPER=""
  finish_vigil
  is "$RC" 7 "$name: vigil exits with the child's code (7)"
  is "$(count_of "$TMP/$name.counts" 15)" 1 "$name: the leftover got SIGTERM at cleanup, not only SIGKILL after the grace"
  show "$TMP/$name.err"
fi

# --- --mem-source procfs without /proc ------------------------------------------------------
# Asked to read memory from a /proc that is not there, vigil refuses to start: a limit it could
# never see cross would protect nothing (limits are resolved before the program starts).
if skip_unless_starts 4 procfs; then
  name=procfs
  unshare --mount "$TMP/noproc" "$TEST_VIGIL" --mem-source procfs --mem-limit 100M \
    -- touch "$TMP/$name.ran" 2>"$TMP/$name.err"
  is "$?" 2 "$name: an explicit procfs source without /proc is a start-up error (exit 2)"
  is "$(wc -l <"$TMP/$name.err")" 1 "$name: one line"
  like "$(cat "$TMP/$name.err")" '/proc' "$name: the line names /proc"
  check "$name: the program was not started" test ! -e "$TMP/$name.ran"
  show "$TMP/$name.err"
fi

# --- /proc covered while vigil runs, then uncovered -----------------------------------------
name=midrun
child_argv $name
start_vigil pid1 60 -v --mem-source procfs --mem-limit 100M --mem-interval 10ms \
  -- "${CHILD[@]}" 2>"$TMP/$name.err" || diag "$name: vigil did not start"
wait_for_file "$TMP/$name.ready" 20 || diag "$name: the child did not start"
wait_for_grep "$TMP/$name.err" mem_armed 10 || diag "$name: no mem_armed"
fd0=$(fd_settled "$VPID")
nsenter -t "$VPID" -m mount -t tmpfs none /proc || diag "$name: cannot cover /proc"
wait_for_grep "$TMP/$name.err" '^vigil: warning:' 3 || diag "$name: no warning within 3 s"
sleep 0.3
check "$name: SIGHUP reaches the child while /proc is covered" hup_reaches $name
nsenter -t "$VPID" -m umount /proc || diag "$name: cannot uncover /proc"
wait_for_grep "$TMP/$name.err" 'readable again' 3 || diag "$name: no 'readable again' within 3 s"
check "$name: vigil is running" alive "$VPID"
check_fds "$name" "$fd0" "$(fd_end "$VPID")"
end_child $name
is "$RC" 7 "$name: vigil exits with the child's code (7)"
is "$(grep -c '^vigil: warning:' "$TMP/$name.err")" 1 "$name: exactly one warning line while /proc is covered"
like "$(grep '^vigil: warning:' "$TMP/$name.err")" '/proc' "$name: the warning names /proc"
is "$(count_lines "$TMP/$name.err" 'readable again')" 1 "$name: one 'readable again' once /proc is back"
show "$TMP/$name.err"

# --- --signal-target all as a subreaper -----------------------------------------------------
if skip_unless_starts 6 all; then
  name=all
  child_argv $name
  WRAPPER="unshare --mount $TMP/noproc"
  start_vigil subreaper 60 --signal-target all -- "${CHILD[@]}" 2>"$TMP/$name.err" ||
    diag "$name: vigil did not start"
  WRAPPER=""
  wait_for_file "$TMP/$name.ready" 20 || diag "$name: the child did not start"
  fd0=$(fd_settled "$VPID")
  check "$name: SIGHUP reaches the child" hup_reaches $name
  check "$name: vigil is running" alive "$VPID"
  check_fds "$name" "$fd0" "$(fd_end "$VPID")"
  end_child $name
  is "$RC" 7 "$name: vigil exits with the child's code (7)"
  is "$(grep -c '^vigil: warning:' "$TMP/$name.err")" 1 "$name: exactly one warning line"
  like "$(grep '^vigil: warning:' "$TMP/$name.err")" '/proc' "$name: the warning names /proc"
  show "$TMP/$name.err"
fi

done_testing
