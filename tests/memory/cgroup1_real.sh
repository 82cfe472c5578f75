#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A real cgroup v1 memory controller: the test makes a child memory cgroup of its own with a
# 256 MiB limit, runs vigil inside it with --mem-limit 60% over a leaking program, and checks
# that vigil finds its cgroup (source cgroup1), resolves 60% of the cgroup's limit, and stops
# the leak gracefully before the kernel's limit is ever hit; a leaker that ignores SIGTERM is
# SIGKILLed after the grace. The cgroup is removed at the end.
. "$(dirname "$0")/memlib.sh"
require_memory_env

line=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup)
[ -n "$line" ] || skip_all "no cgroup v1 memory controller in /proc/self/cgroup"
rel=${line#*:}
rel=${rel#*:}
# The memory hierarchy's mount point and its root (from /proc/self/mountinfo).
read -r mroot mpoint < <(awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) == "cgroup" && $(i+3) ~ /(^|,)memory(,|$)/) { print $4, $5; exit } }' /proc/self/mountinfo)
[ -n "${mpoint:-}" ] || skip_all "the cgroup v1 memory hierarchy is not mounted"
[ "$mroot" = / ] || rel=${rel#"$mroot"}
PARENT=$mpoint${rel%/}
CG=$PARENT/vigil-memtest.$$

cg_cleanup() {
  local p i
  [ -d "$CG" ] || return 0
  # Only processes this test put there can be in this cgroup.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    rmdir "$CG" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "# could not remove $CG" >&2
}
trap 'cg_cleanup; _cleanup' EXIT

mkdir "$CG" 2>/dev/null || skip_all "cannot create a memory cgroup under $PARENT"
echo 256M >"$CG/memory.limit_in_bytes" 2>/dev/null || skip_all "cannot set memory.limit_in_bytes in $CG"
# No swap escape: memory+swap limited the same (when swap accounting exists), swappiness 0.
[ -e "$CG/memory.memsw.limit_in_bytes" ] && echo 256M >"$CG/memory.memsw.limit_in_bytes" 2>/dev/null
echo 0 >"$CG/memory.swappiness" 2>/dev/null
LIMIT=$(cat "$CG/memory.limit_in_bytes")
[ "$LIMIT" = 268435456 ] || skip_all "memory.limit_in_bytes reads $LIMIT after writing 256M"

plan 32

# oom_kills: the cgroup's oom_kill counter (0 when the kernel does not report it).
oom_kills() {
  local n
  n=$(awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control" 2>/dev/null)
  echo "${n:-0}"
}

# run_in_cgroup SECONDS VIGIL-ARGS...: a shell joins the cgroup and execs vigil; sets RC.
run_in_cgroup() {
  local limit=$1
  shift
  RC=0
  timeout -k 3 "$limit" sh -c 'cg=$1; shift; echo $$ >"$cg/cgroup.procs" || exit 99; exec "$@"' \
    sh "$CG" "$TEST_VIGIL" "$@" || RC=$?
}

# --- a leaker that exits on SIGTERM ---------------------------------------------------------
E=$TMP/g.err
oom_before=$(oom_kills)
run_in_cgroup 40 -v --log-format json --mem-limit 60% --mem-sustain 500ms --mem-interval 100ms \
  --mem-grace 5s --termination-log "$TMP/g.tlog" \
  -- "$H/leaker" --rate 50 --on-term exit >"$TMP/g.out" 2>"$E"
is "$RC" 137 "leaker stopped by the memory action: vigil exits 137"
is "$(ev get "$E" mem_armed 1 source)" cgroup1 "mem_armed: source cgroup1"
is "$(ev get "$E" mem_armed 1 location)" "$CG" "mem_armed: vigil found its own cgroup"
is "$(ev get "$E" mem_armed 1 cgroup_max_bytes)" "$LIMIT" "mem_armed: cgroup_max_bytes is memory.limit_in_bytes"
is "$(ev get "$E" mem_armed 1 limit_bytes)" $((LIMIT * 60 / 100)) "mem_armed: limit_bytes is 60% of the cgroup's limit"
like "$(cat "$TMP/g.out")" '^leaker: got SIGTERM' "the leaker got SIGTERM"
usage=$(ev get "$E" mem_exceeded 1 usage_bytes)
[[ $usage =~ ^[0-9]+$ ]] || usage=0
in_range "$usage" $((LIMIT * 60 / 100)) $((LIMIT - 1)) "mem_exceeded: usage over the soft limit, under the cgroup's limit"
is "$(ev count "$E" mem_kill)" 1 "one mem_kill (SIGTERM sufficed)"
is "$(ev count "$E" kernel_oom)" 0 "no kernel_oom event"
is "$(($(oom_kills) - oom_before))" 0 "the kernel OOM-killed nothing in the cgroup"
is "$(cat "$CG/memory.failcnt" 2>/dev/null)" 0 "the cgroup never hit its limit (memory.failcnt 0)"
max_usage=$(cat "$CG/memory.max_usage_in_bytes" 2>/dev/null || echo "$LIMIT")
in_range "$max_usage" 1 $((LIMIT - 1)) "peak usage stayed below the cgroup's limit"
like "$(cat "$TMP/g.tlog" 2>/dev/null)" 'Largest processes by RSS: [0-9]+ leaker' "termination log: the leaker is the largest process"
is "$(cat "$CG/cgroup.procs" 2>/dev/null | wc -l)" 0 "nothing left in the cgroup"

# --- a leaker that ignores SIGTERM and plateaus between the soft and the cgroup limit --------
E=$TMP/i.err
oom_before=$(oom_kills)
run_in_cgroup 40 -v --log-format json --mem-limit 60% --mem-sustain 500ms --mem-interval 100ms \
  --mem-grace 1s -- "$H/leaker" --rate 50 --limit 200 --on-term ignore >"$TMP/i.out" 2>"$E"
is "$RC" 137 "SIGTERM ignored: vigil exits 137"
is "$(ev get "$E" mem_kill 1 signal)" SIGTERM "first SIGTERM"
is "$(ev get "$E" mem_kill 2 signal),$(ev get "$E" mem_kill 2 target),$(ev get "$E" mem_kill 2 reason)" \
  "SIGKILL,all,grace expired" "then SIGKILL to all when the grace expires"
a=$(ev ms "$E" mem_kill 1)
b=$(ev ms "$E" mem_kill 2)
{ [ "$a" = "<none>" ] || [ "$b" = "<none>" ]; } && a=0 b=-1
in_range $((b - a)) 900 1700 "SIGKILL 1 s after SIGTERM (ms)"
like "$(ev get "$E" exit 1 child_status)" SIGKILL "exit event: the leaker was killed by SIGKILL"
unlike "$(cat "$TMP/i.out")" 'got SIGTERM' "the leaker ignored SIGTERM"
is "$(($(oom_kills) - oom_before))" 0 "the kernel OOM-killed nothing"
is "$(ev count "$E" kernel_oom)" 0 "no kernel_oom event"
is "$(cat "$CG/cgroup.procs" 2>/dev/null | wc -l)" 0 "nothing left in the cgroup"

# --- fast leaks: adaptive sampling must catch them before the kernel does ---------------------
# --mem-hard-limit 60% (153.6 MiB) and the default --mem-interval 1s; the leaker allocates in
# ten bursts a second. Sampling "sooner as usage approaches a limit at its current growth rate"
# must land a sample between the crossing (~1.5 s) and the cgroup's limit (~2.4 s).
for rate in 100 107; do
  E=$TMP/fast$rate.err
  oom_before=$(oom_kills)
  run_in_cgroup 30 -v --log-format json --mem-hard-limit 60% --mem-grace 2s \
    -- "$H/leaker" -q --rate $rate --ticks 10 --on-term exit >"$TMP/fast$rate.out" 2>"$E"
  oom=$(($(oom_kills) - oom_before))
  is "$oom" 0 "$rate MiB/s leak: the kernel OOM-killed nothing (vigil acted first)"
  like "$(cat "$TMP/fast$rate.out")" 'got SIGTERM' "$rate MiB/s leak: the leaker got SIGTERM"
  usage=$(ev get "$E" mem_exceeded 1 usage_bytes)
  [[ $usage =~ ^[0-9]+$ ]] || usage=0
  in_range "$usage" $((LIMIT * 60 / 100)) $((LIMIT * 80 / 100)) \
    "$rate MiB/s leak: caught soon after the hard limit, below 80% of the cgroup's limit (mem_exceeded usage)"
  if [ "$oom" -gt 0 ]; then
    in_range "$(ev count "$E" kernel_oom)" 1 99 "$rate MiB/s leak: the kernel's OOM kill of the child is reported (kernel_oom)"
  else
    is "$(ev count "$E" kernel_oom)" 0 "$rate MiB/s leak: no kernel OOM kill, and none reported"
  fi
done

rmdir "$CG" 2>/dev/null
check "the cgroup is removed" test ! -d "$CG"

done_testing
