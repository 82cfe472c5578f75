#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Guest side of bench/vm-race.sh (busybox sh, run by tests/vm/run-vm.sh --wrap as a child of
# /init inside /sys/fs/cgroup/vigil-test). Runs TRIALS rounds; each round runs one trial of every
# (rate, mode) pair, so that any drift during the boot hits every pair alike. One trial:
#
#   vigil --log-format json -v --mem-hard-limit 80% --mem-interval 1s [--mem-adaptive=false]
#         --mem-grace 5s -- leaker --rate R --ticks 1000 --on-term exit=0 --quiet
#
# Nothing is printed while a trial runs (the serial console is slow under emulation); afterwards
# its events are printed between TRIAL_BEGIN / TRIAL_END lines for the host to classify.
#
# Environment (from run-vm.sh --env): TRIALS (default 10), RATES (MiB/s, default "100 500 1000"),
# MODES (default "adaptive fixed"), LABEL (a tag copied into every TRIAL_BEGIN line),
# EXTRA_ARGS (more vigil options, optional; not VIGIL_*, which vigil itself reads),
# LEAK_DELAY (seconds; when set, the leak starts that long after vigil: sh -c 'sleep D; exec leaker').
cg=/sys/fs/cgroup/vigil-test
trials=${TRIALS:-10}
rates=${RATES:-100 500 1000}
modes=${MODES:-adaptive fixed}
label=${LABEL:-main}

oom_kills() { sed -n 's/^oom_kill //p' "$cg/memory.events"; }

# This script shares the cgroup with the trials. Under a small memory.max the kernel can need a
# second victim while the leaker's pages are still being freed, and it must not be us: exempt
# this shell, and give every trial the default score back (raising it needs no privilege).
echo -1000 >/proc/self/oom_score_adj

# Waits (up to ~2 s) until the cgroup is back near its resting usage, so that the pages of the
# previous trial are not counted against the next one.
settle() {
  i=0
  while [ "$i" -lt 40 ]; do
    cur=$(cat "$cg/memory.current")
    [ "$cur" -lt $((16 << 20)) ] && return
    sleep 0.05
    i=$((i + 1))
  done
}

echo "RACE_GUEST label=$label trials=$trials rates='$rates' modes='$modes' leak_delay=${LEAK_DELAY:-0} memory.max=$(cat "$cg/memory.max") nproc=$(grep -c ^processor /proc/cpuinfo)"
n=1
while [ "$n" -le "$trials" ]; do
  for rate in $rates; do
    for mode in $modes; do
      settle
      extra=""
      [ "$mode" = fixed ] && extra="--mem-adaptive=false"
      base=$(cat "$cg/memory.current")
      k0=$(oom_kills)
      leak="/bin/leaker --rate $rate --ticks 1000 --on-term exit=0 --quiet"
      if [ -n "${LEAK_DELAY:-}" ]; then
        set -- /bin/sh -c "sleep $LEAK_DELAY; exec $leak"
      else
        # shellcheck disable=SC2086  # $leak is a list of words
        set -- $leak
      fi
      # shellcheck disable=SC2086  # $extra and $EXTRA_ARGS are lists of options
      (
        echo 0 >/proc/self/oom_score_adj
        exec /sbin/vigil --log-format json -v --mem-hard-limit 80% --mem-interval 1s $extra \
          --mem-grace 5s ${EXTRA_ARGS:-} -- "$@"
      ) >/dev/null 2>/tmp/events
      rc=$?
      k1=$(oom_kills)
      echo "TRIAL_BEGIN label=$label rate=$rate mode=$mode n=$n base=$base delay=${LEAK_DELAY:-0}"
      grep '^{' /tmp/events
      grep -v '^{' /tmp/events | sed 's/^/STDERR /'
      echo "TRIAL_END rc=$rc oom_kill_delta=$((k1 - k0))"
    done
  done
  n=$((n + 1))
done
echo "RACE_GUEST_DONE label=$label"
