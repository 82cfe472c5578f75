#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Standard descriptors that are closed, redirected or broken must never stop supervision:
# a child that closes 0, 1 and 2, or sends 2 to /dev/null; vigil -v started with stderr closed,
# or with 0, 1 and 2 all closed (its own descriptors then take those numbers, and must still
# not leak into the child); stderr a pipe whose reader has gone (every diagnostic fails with
# EPIPE and raises SIGPIPE against vigil itself, which is not for the child); stderr a pipe
# nobody reads, filled by a burst of diagnostics. In every case vigil, as PID 1, still forwards
# signals (SIGHUP reaches the child), its descriptors do not grow, and it exits with the
# child's code (7).
. "$(dirname "$0")/hardlib.sh"
require_root
require_helpers sigcount sigstorm

plan 33

# case_begin NAME: waits for the child of the vigil just started, records its host pid (KID) and
# vigil's descriptor count (FD0).
case_begin() {
  wait_for_file "$TMP/$1.ready" 20 || diag "$1: the child did not start"
  KID=$(children_of "$VPID" | head -n1)
  FD0=$(fd_settled "$VPID")
}

# case_end NAME: checks that vigil is alive with no more descriptors than at the start, forwards
# SIGHUP, then ends the child with SIGUSR1 (it exits 7) and checks vigil's exit code.
case_end() {
  local name=$1 fd1
  check "$name: vigil is running" alive "$VPID"
  fd1=$(fd_end "$VPID")
  check_fds "$name" "$FD0" "$fd1"
  kill -HUP "$VPID"
  kill -USR1 "$VPID"
  finish_vigil
  is "$RC" 7 "$name: vigil exits with the child's code (7)"
  is "$(count_of "$TMP/$name.counts" 1),$(count_of "$TMP/$name.counts" 13)" "1,0" \
    "$name: SIGHUP was forwarded to the child (and no SIGPIPE)"
}

# count_child NAME: the child's command line, as one string (for sh -c); CHILD: as words.
count_child() { echo "$HH/sigcount -x 10 -e 7 -t 50 $TMP/$1.counts $TMP/$1.ready"; }
child_argv() { CHILD=("$HH/sigcount" -x 10 -e 7 -t 50 "$TMP/$1.counts" "$TMP/$1.ready"); }

# --- the child closes its standard descriptors ----------------------------------------------
start_vigil pid1 60 -v -- sh -c "exec 0<&- 1>&- 2>&-; exec $(count_child closes)" \
  2>"$TMP/closes.err" || diag "closes: vigil did not start"
case_begin closes
check "closes: the child runs with 0, 1 and 2 closed" \
  test ! -e "/proc/$KID/fd/0" -a ! -e "/proc/$KID/fd/1" -a ! -e "/proc/$KID/fd/2"
case_end closes
like "$(cat "$TMP/closes.err")" '^vigil: exit code=7' "closes: vigil's own stderr still works"

start_vigil pid1 60 -v -- sh -c "exec 2>/dev/null; exec $(count_child devnull)" \
  2>"$TMP/devnull.err" || diag "devnull: vigil did not start"
case_begin devnull
is "$(readlink "/proc/$KID/fd/2")" /dev/null "devnull: the child's stderr is /dev/null"
case_end devnull

# --- vigil started with stderr closed, or with 0, 1 and 2 closed ----------------------------
# The descriptors are closed by a wrapper that then execs vigil: bash itself would give a
# background command /dev/null as stdin in place of a closed one.
printf '#!/bin/sh\nexec "$@" 2>&-\n' >"$TMP/close2"
printf '#!/bin/sh\nexec "$@" <&- >&- 2>&-\n' >"$TMP/close012"
chmod +x "$TMP/close2" "$TMP/close012"

WRAPPER=$TMP/close2
child_argv noerr
start_vigil pid1 60 -v -- "${CHILD[@]}" || diag "noerr: vigil did not start"
WRAPPER=""
case_begin noerr
check "noerr: vigil's descriptor 2 is not the test's stderr pipe (the wrapper closed it)" \
  test "$(readlink "/proc/$VPID/fd/2" 2>/dev/null | sed 's/:.*//')" != pipe
check "noerr: the child inherited no descriptor 2 (vigil's own descriptors are close-on-exec)" \
  test ! -e "/proc/$KID/fd/2"
case_end noerr

WRAPPER=$TMP/close012
child_argv noio
start_vigil pid1 60 -vv --log-format json -- "${CHILD[@]}" || diag "noio: vigil did not start"
WRAPPER=""
case_begin noio
check "noio: the child inherited none of 0, 1 and 2" \
  test ! -e "/proc/$KID/fd/0" -a ! -e "/proc/$KID/fd/1" -a ! -e "/proc/$KID/fd/2"
[ -e "/proc/$KID/fd/0" ] || [ -e "/proc/$KID/fd/1" ] || [ -e "/proc/$KID/fd/2" ] && fd_show "$KID"
case_end noio

# --- stderr a pipe whose reader has gone ----------------------------------------------------
mkfifo "$TMP/gone.fifo"
# The reader opens the FIFO (which lets vigil's open for writing complete) and exits at once.
(exec 3<"$TMP/gone.fifo") &
reader=$!
child_argv gone
start_vigil pid1 60 -vv -- "${CHILD[@]}" 2>"$TMP/gone.fifo" || diag "gone: vigil did not start"
wait "$reader"
case_begin gone
# Some hundred diagnostics, each a failed write and a SIGPIPE against vigil.
"$HH/sigstorm" "$VPID" 300 1 40 >/dev/null || diag "gone: not every signal was sent"
check "gone: vigil runs on after its diagnostics met a broken pipe" alive "$VPID"
case_end gone
is "$(count_of "$TMP/gone.counts" 40)" 300 "gone: every queued signal was forwarded meanwhile"

# --- stderr a pipe nobody reads: a burst of diagnostics fills it ----------------------------
# Each forwarded signal is an info line with -v; 3,000 of them are about 200 KiB, more than a
# pipe holds (64 KiB). The test holds both ends of the FIFO and reads nothing until the end.
mkfifo "$TMP/full.fifo"
exec {hold}<>"$TMP/full.fifo"
child_argv full
start_vigil pid1 60 -v -- "${CHILD[@]}" 2>"$TMP/full.fifo" || diag "full: vigil did not start"
case_begin full
"$HH/sigstorm" "$VPID" 3000 1 40 >/dev/null || diag "full: not every signal was sent"
# Until vigil has dequeued the whole burst (signal 40 no longer pending) or is held up writing
# to the pipe: only then is the pipe full for certain.
deadline=$(($(now_ms) + 30000))
while :; do
  wchan=$(cat "/proc/$VPID/wchan" 2>/dev/null)
  shdpnd=$(awk '/^ShdPnd:/ { print $2 }' "/proc/$VPID/status" 2>/dev/null)
  [[ $wchan == *pipe_write* ]] && break
  if [ -z "$shdpnd" ] || ! (((0x$shdpnd >> 39) & 1)); then break; fi
  [ "$(now_ms)" -ge "$deadline" ] && break
  sleep 0.05
done
diag "full: vigil waits in '$wchan'; pending: ${shdpnd:-?}"
check "full: vigil is running" alive "$VPID"
fd1=$(fd_end "$VPID")
check_fds full "$FD0" "$fd1"
kill -HUP "$VPID"
kill -USR1 "$VPID"
if wait_gone "$VPID" 20; then
  ok "full: with its stderr pipe full, vigil still forwards signals and ends when the child does"
else
  not_ok "full: with its stderr pipe full, vigil still forwards signals and ends when the child does"
  diag "vigil $VPID is stuck (state $(proc_state "$VPID"), in $(cat "/proc/$VPID/wchan" 2>/dev/null)); the child got: $(tr '\n' ' ' <"$TMP/full.counts" 2>/dev/null)"
fi
# Now drain the pipe, so a vigil blocked on it can finish. The reader opens the FIFO for
# reading only (it sees EOF once vigil and this script have closed it) and holds none of this
# script's output, so it can never keep the test's pipes open after the script ends.
timeout -s KILL 20 cat "$TMP/full.fifo" >/dev/null 2>&1 </dev/null &
drain=$!
finish_vigil
exec {hold}<&-
wait "$drain" 2>/dev/null
is "$RC" 7 "full: vigil exits with the child's code (7)"
is "$(count_of "$TMP/full.counts" 1)" 1 "full: SIGHUP was forwarded to the child"
diag "full: the child got (signal count): $(tr '\n' ' ' <"$TMP/full.counts" 2>/dev/null)"

done_testing
