#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Faults of the memory source, on a fake cgroup v2 tree (--cgroup-root) sampled every 10 ms,
# with vigil as PID 1: each of memory.current, memory.stat, memory.events and memory.max is
# deleted, truncated to nothing, filled with garbage (several lines, control characters),
# made unreadable, and then restored; memory.current also overflows 64 bits; the whole cgroup
# directory is removed; memory.current becomes a FIFO with no writer.
#
# "Unreadable": vigil runs as root, and chmod 000 does not stop root from reading, so a
# directory takes the file's place (open succeeds, read fails with EISDIR). A FIFO with no
# writer is the other unreadable kind: opening it for reading waits for a writer, which would
# stall a watcher that opened it blocking.
#
# Each fault gives exactly one warning line naming the file (30 or more samples meanwhile:
# no flood, and no garbage echoed onto lines of its own), no memory action and no phantom
# kernel OOM kill, one "readable again" once the file is back; the child keeps running, a
# SIGHUP is still forwarded, vigil's descriptors do not grow, and the child's exit code (7)
# comes through.
. "$(dirname "$0")/hardlib.sh"
require_root
require_helpers sigcount

FILES="memory.current memory.stat memory.events memory.max"
ACTIONS="delete truncate garbage directory"
# Tests per case: alive, SIGHUP, one warning, names the file, no stray line, readable again,
# no memory action, descriptors, exit code.
PER_CASE=9
ncases=$(($(wc -w <<<"$FILES") * $(wc -w <<<"$ACTIONS") + 3))
plan $((ncases * PER_CASE))

# A garbage text of several lines, with a tab, an escape sequence and a NUL-free binary byte.
GARBAGE=$'12 34 garbage\n\tsecond line \033[31mred\033[0m \377\nlow zero'

# fault ACTION FILE. Garbage is written in one rename: written in place, the file would be empty
# for a moment first, which is the "truncate" case.
fault() {
  local action=$1 f=$2
  case $action in
    delete) rm -f "$f" ;;
    truncate) : >"$f" ;;
    garbage) printf '%s\n' "$GARBAGE" >"$f.new" && mv -f "$f.new" "$f" ;;
    directory) rm -f "$f" && mkdir "$f" ;;
    overflow) printf '%s\n' 99999999999999999999999 >"$f.new" && mv -f "$f.new" "$f" ;;
    fifo) mkfifo "$f.fifo" && mv -f "$f.fifo" "$f" ;;
  esac
}

# restore FILE ORIGINAL: puts ORIGINAL back in FILE's place in one rename (a directory in the
# way is removed first: that gap is part of the same outage). A FIFO is held open for reading
# and writing around the rename, which releases a reader waiting for a writer in open(2); once
# closed, that reader sees end of file.
restore() {
  local f=$1 orig=$2 fw=""
  cp -a "$orig" "$f.restore"
  [ -d "$f" ] && rm -rf "$f"
  [ -p "$f" ] && exec {fw}<>"$f"
  mv -f "$f.restore" "$f"
  if [ -n "$fw" ]; then
    sleep 0.1
    exec {fw}>&-
  fi
}

# run_case NAME FILE ACTION: one vigil run with one fault of FILE, restored afterwards (the
# action "rmdir" removes the whole cgroup directory instead, for good).
run_case() {
  local name=$1 file=$2 action=$3
  local D err=$TMP/$1.err
  D=$(fake_v2 "$name")
  # A kill count that is not zero: reading a damaged memory.events as "no kills" would make
  # the restored count look like new kernel OOM kills.
  sed -i 's/^oom_kill 0$/oom_kill 2/' "$D/memory.events"
  cp -a "$D" "$TMP/$name.orig"
  start_vigil pid1 60 -v --cgroup-root "$D" --mem-limit 50% --mem-interval 10ms \
    -- "$HH/sigcount" -d 64 -x 10 -e 7 -t 50 "$TMP/$name.counts" "$TMP/$name.ready" 2>"$err" ||
    diag "$name: vigil did not start"
  wait_for_file "$TMP/$name.ready" 20 || diag "$name: the child did not start"
  wait_for_grep "$err" 'mem_armed' 10 || diag "$name: no mem_armed"
  local fd0 fd1
  fd0=$(fd_settled "$VPID")
  if [ "$action" = rmdir ]; then
    rm -rf "$D"
  else
    fault "$action" "$D/$file"
  fi
  # memory.max is read every 64th sample: allow a few seconds for the first failure.
  wait_for_grep "$err" '^vigil: warning:' 5 || diag "$name: no warning within 5 s"
  # About 30 more samples at 10 ms; for memory.max, read at every 64th sample only, about 150
  # (two more reads of it).
  if [ "$file" = memory.max ]; then sleep 1.5; else sleep 0.3; fi
  check "$name: vigil is running" alive "$VPID"
  # SIGHUP, then SIGRTMAX, which makes the child write its counts.
  kill -HUP "$VPID"
  kill -n 64 "$VPID"
  wait_for_file "$TMP/$name.counts" 5
  if [ "$(count_of "$TMP/$name.counts" 1)" = 1 ]; then
    ok "$name: SIGHUP is forwarded to the child during the fault"
  else
    not_ok "$name: SIGHUP is forwarded to the child during the fault"
    diag "vigil $VPID: state $(proc_state "$VPID"), waiting in $(cat "/proc/$VPID/wchan" 2>/dev/null)"
  fi
  local warnings
  warnings=$(grep '^vigil: warning:' "$err")
  is "$(grep -c '^vigil: warning:' "$err")" 1 "$name: exactly one warning line for the whole outage"
  local names=${file//./\\.}
  [ "$action" = rmdir ] && names='memory\.[a-z]+: No such file|No such file.*memory\.[a-z]+'
  like "$warnings" "$names" "$name: the warning names the problem"
  is "$(grep -vc '^vigil: ' "$err")" 0 "$name: every line of vigil's stderr is its own (nothing echoed onto lines of its own)"
  if [ "$action" != rmdir ]; then
    restore "$D/$file" "$TMP/$name.orig/$file"
    wait_for_grep "$err" 'readable again' 5 || diag "$name: no 'readable again' within 5 s"
    sleep 0.1
    is "$(count_lines "$err" 'readable again')" 1 "$name: once restored, the file is read again (one line)"
  else
    sleep 0.1
    is "$(count_lines "$err" 'readable again')" 0 "$name: the directory is gone for good, and nothing claims it is readable"
  fi
  is "$(count_lines "$err" 'mem_exceeded|mem_kill|kernel_oom')" 0 "$name: no memory action and no phantom kernel OOM kill"
  fd1=$(fd_end "$VPID")
  check_fds "$name" "$fd0" "$fd1"
  kill -USR1 "$VPID"
  finish_vigil
  is "$RC" 7 "$name: vigil exits with the child's code (7)"
  if [ "$(grep -c '^vigil: warning:' "$err")" != 1 ] || [ "$RC" != 7 ]; then
    diag "$name: vigil's stderr:"
    show "$err"
  fi
}

for file in $FILES; do
  for action in $ACTIONS; do
    run_case "${file#memory.}-$action" "$file" "$action"
  done
done
run_case current-overflow memory.current overflow
run_case cgroup-removed memory.current rmdir
run_case current-fifo memory.current fifo

done_testing
