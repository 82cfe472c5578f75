#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A storm of 100,000 signals of 20 kinds from 4 sender processes in parallel, at vigil while its
# child runs: standard signals (SIGSEGV and SIGBUS sent with kill among them), real-time ones,
# and SIGCHLD, SIGTTIN and SIGTTOU, which vigil handles itself. vigil survives; every kind it
# forwards reaches the child (standard signals merge while pending, so at least once; real-time
# signals queue, so each one exactly once); the three it keeps never reach the child; its
# descriptors do not grow; and the exit status afterwards is the child's (7), or 143 when a
# final SIGTERM kills the child.
. "$(dirname "$0")/hardlib.sh"
require_root
require_helpers sigstorm sigcount

TOTAL=100000
SENDERS=4
# No SIGCONT: the kernel discards a pending SIGTSTP when SIGCONT is generated, and a pending
# SIGCONT when SIGTSTP is (signal(7)), at vigil and again at the child, so under a storm of both
# either may legitimately never arrive.
FORWARDED_STD="1 2 3 7 10 11 12 13 14 20 23 28 29"
OWN="17 21 22"          # SIGCHLD (reap), SIGTTIN and SIGTTOU (ignored by vigil)
RT="34 35 50 63"        # SIGRTMIN, SIGRTMIN+1, SIGRTMIN+16, SIGRTMAX-1
MARK=64                 # SIGRTMAX, sent once after the storm
KINDS=$(tr ' ' ',' <<<"$FORWARDED_STD $OWN $RT")
nstd=$(wc -w <<<"$FORWARDED_STD")
nrt=$(wc -w <<<"$RT")
nown=$(wc -w <<<"$OWN")

# Real-time signals queue, within the receiver's RLIMIT_SIGPENDING (counted per user). When the
# limit leaves room for every real-time signal of the storm (the sender retries on EAGAIN into
# vigil's own queue, and vigil's kill(2) to the child never overflows the child's), none can be
# lost on the way, so the child must get exactly as many as were sent. An unprivileged limit
# below that only allows "at least once".
rt_share=$((TOTAL * nrt / (nstd + nrt + nown) + SENDERS))
ulimit -i $((rt_share + 10000)) 2>/dev/null || true
pending_limit=$(ulimit -i)
rt_exact=false
if [ "$pending_limit" = unlimited ] || [ "$pending_limit" -ge $((rt_share + 1000)) ]; then
  rt_exact=true
else
  diag "RLIMIT_SIGPENDING $pending_limit is below the $rt_share real-time signals of the storm: real-time signals checked as 'at least once'"
fi

plan $((2 * (8 + nstd + nrt + nown)))

# storm MODE EXIT-HOW: one run. EXIT-HOW "code" (the child exits 7 on the marker) or "term"
# (the marker only dumps the counts; a final SIGTERM kills the child: 143).
storm() {
  local mode=$1 how=$2 tag=$1-$2
  local res=$TMP/$tag.counts ready=$TMP/$tag.ready sent=$TMP/$tag.sent err=$TMP/$tag.err
  local child_args=(-x "$MARK" -e 7)
  [ "$how" = term ] && child_args=(-d "$MARK" -k 15)
  start_vigil "$mode" 170 -- "$HH/sigcount" -t 160 "${child_args[@]}" "$res" "$ready" 2>"$err" ||
    diag "$tag: vigil did not start"
  wait_for_file "$ready" 20 || diag "$tag: the child did not start"
  local cpid fd0 fd1 t0 t1 rc_storm=0
  cpid=$(cat "$ready" 2>/dev/null)
  fd0=$(fd_settled "$VPID")
  t0=$(now_ms)
  "$HH/sigstorm" "$VPID" "$TOTAL" "$SENDERS" "$KINDS" >"$sent" 2>&1 || rc_storm=$?
  t1=$(now_ms)
  diag "$tag: $(tail -n1 "$sent") in $((t1 - t0)) ms"
  is "$rc_storm:$(sed -n 's/^total=\([0-9]*\).*/\1/p' "$sent")" "0:$TOTAL" \
    "$tag: all $TOTAL signals were sent (none refused: vigil was there all along)"
  check "$tag: vigil survived the storm" alive "$VPID"
  local cstate
  local kid
  kid=$(children_of "$VPID" | head -n1)
  cstate=$(proc_state "${kid:-0}")
  check "$tag: the child survived the storm (state $cstate)" alive "${kid:-0}"
  fd1=$(fd_end "$VPID")
  check_fds "$tag" "$fd0" "$fd1"

  # The marker is the highest signal number: vigil dequeues it only once every storm signal is
  # forwarded, and the child handles it only after every forwarded one.
  kill -n $MARK "$VPID"
  if [ "$how" = term ]; then
    wait_for_file "$res" 60 || diag "$tag: no counts from the child"
    kill -TERM "$VPID"
  fi
  finish_vigil
  local t2
  t2=$(now_ms)
  if [ "$how" = term ]; then
    is "$RC" 143 "$tag: a SIGTERM after the storm kills the child and vigil exits 143"
  else
    is "$RC" 7 "$tag: the child exits 7 after the storm and vigil exits 7"
  fi
  is "$(count_of "$res" $MARK)" 1 "$tag: the child got the final marker signal once"
  diag "$tag: drained and exited $((t2 - t1)) ms after the storm; child pid $cpid; fds $fd0 -> $fd1"

  local s got want received=0 rt_total=0
  for s in $FORWARDED_STD; do
    got=$(count_of "$res" "$s")
    want=$(count_of "$sent" "$s")
    received=$((received + got))
    in_range "$got" 1 "$want" "$tag: signal $s ($(kill -l "$s")): sent $want, the child got it $got times (merged while pending)"
  done
  for s in $RT; do
    got=$(count_of "$res" "$s")
    want=$(count_of "$sent" "$s")
    received=$((received + got))
    rt_total=$((rt_total + want))
    if $rt_exact; then
      is "$got" "$want" "$tag: real-time signal $s ($(kill -l "$s")): each of the $want sent reached the child"
    else
      in_range "$got" 1 "$want" "$tag: real-time signal $s ($(kill -l "$s")): sent $want, the child got it $got times"
    fi
  done
  for s in $OWN; do
    is "$(count_of "$res" "$s")" 0 "$tag: signal $s ($(kill -l "$s")), sent $(count_of "$sent" "$s") times, is vigil's own and never reached the child"
  done
  local unexpected
  unexpected=$(awk -v ok=" $FORWARDED_STD $RT $MARK " '$1 != "end" && index(ok, " " $1 " ") == 0' "$res")
  is "$unexpected" "" "$tag: the child got no signal that was not sent"
  is "$(grep -c . "$err")" 0 "$tag: vigil printed nothing at the default verbosity"
  show "$err"
  diag "$tag: the child received $received forwarded signals; $rt_total real-time signals were sent"
  diag "$tag: per kind (signal sent received): $(for s in $FORWARDED_STD $OWN $RT; do
    printf '%s %s %s; ' "$s" "$(count_of "$sent" "$s")" "$(count_of "$res" "$s")"; done)"
}

storm pid1 code
storm pid1 term

done_testing
