#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# How memory limits are given and resolved: sizes, percentages and headroom of the cgroup limit
# (never of host RAM), through the command line and the environment; bad values are one line on
# stderr, exit 2, and the program is never started.
. "$(dirname "$0")/memlib.sh"
require_memory_env

plan 60

V2=$(fake_v2 v2)
NOMAX=$(fake_v2 nomax)
set_file "$NOMAX/memory.max" max
V1=$(fake_v1 v1)
V1NOMAX=$(fake_v1 v1nomax)
set_file "$V1NOMAX/memory.limit_in_bytes" 9223372036854771712
sed -i 's/^hierarchical_memory_limit .*/hierarchical_memory_limit 9223372036854771712/' "$V1NOMAX/memory.stat"
# Unlimited itself, but under a 512 MiB ancestor (hierarchical_memory_limit in memory.stat).
V1PARENT=$(fake_v1 v1parent)
set_file "$V1PARENT/memory.limit_in_bytes" 9223372036854771712
MARK=$TMP/started

# rejected DESCRIPTION LINE-REGEX VIGIL-ARGS...: vigil must exit 2 with one stderr line that
# matches LINE-REGEX, without starting the program (which would create $MARK). 3 tests.
rejected() {
  local desc=$1 re=$2 rc=0
  shift 2
  rm -f "$MARK"
  timeout -k 3 10 "$TEST_VIGIL" "$@" -- touch "$MARK" >"$TMP/out" 2>"$TMP/err" || rc=$?
  is "$rc" 2 "$desc: exit 2"
  local lines
  lines=$(lines_of "$TMP/err")
  if [ "$lines" = 1 ] && grep -Eq -- "$re" "$TMP/err"; then
    ok "$desc: one line naming the option and the value"
  else
    not_ok "$desc: one line naming the option and the value"
    diag "expected one line matching /$re/, got $lines:"
    show "$TMP/err"
  fi
  check "$desc: the program was not started" test ! -e "$MARK"
}

# armed_limit VIGIL-ARGS...: the limit_bytes of the mem_armed line (vigil runs `true`), else
# the first stderr line.
armed_limit() {
  local out
  out=$(timeout -k 3 10 "$TEST_VIGIL" -v "$@" -- true 2>&1)
  if grep -q 'mem_armed' <<<"$out"; then
    grep 'mem_armed' <<<"$out" | grep -o ' limit_bytes=[0-9a-z]*' | cut -d= -f2
  else
    head -n1 <<<"$out"
  fi
}

# --- % and max- need a visible limit --------------------------------------------------------
rejected "50% with memory.max = max" '--mem-limit.*50%' --cgroup-root "$NOMAX" --mem-limit 50%
rejected "max-256M with memory.max = max" '--mem-limit.*max-256M' --cgroup-root "$NOMAX" --mem-limit max-256M
rejected "--mem-hard-limit 90% with memory.max = max" '--mem-hard-limit.*90%' --cgroup-root "$NOMAX" --mem-hard-limit 90%
rejected "50% with an unlimited cgroup v1 (limit_in_bytes and hierarchical_memory_limit >= 2^62)" '--mem-limit.*50%' --cgroup-root "$V1NOMAX" --mem-limit 50%
rejected "90% with --mem-source procfs (no cgroup limit; never host RAM)" '--mem-limit.*90%' --mem-source procfs --mem-limit 90%
rejected "max-512M leaves nothing of a 512 MiB memory.max" '--mem-limit.*max-512M' --cgroup-root "$V2" --mem-limit max-512M

# --- sizes need a unit; soft must not exceed hard -------------------------------------------
rejected "a bare number (--mem-limit 512)" "--mem-limit.*'?512'?" --cgroup-root "$V2" --mem-limit 512
rejected "a bare number (-m 1.5)" "(-m|--mem-limit).*1\.5" --cgroup-root "$V2" -m 1.5
rejected "soft above hard" '--mem-limit.*--mem-hard-limit|--mem-hard-limit.*--mem-limit' --cgroup-root "$V2" --mem-limit 300M --mem-hard-limit 200M
rejected "soft above hard after resolving percentages" '--mem-limit.*--mem-hard-limit|--mem-hard-limit.*--mem-limit' --cgroup-root "$V2" --mem-limit 90% --mem-hard-limit 50%
rejected "a percentage over 100" '(-m|--mem-limit).*150%' --cgroup-root "$V2" -m 150%
rejected "--mem-interval below 10ms" '--mem-interval.*5ms' --cgroup-root "$V2" -m 100M --mem-interval 5ms
rejected "--mem-exit-code 0 (never 0)" '--mem-exit-code.*0' --cgroup-root "$V2" -m 100M --mem-exit-code 0

# --- resolved limits ------------------------------------------------------------------------
is "$(armed_limit --cgroup-root "$V2" --mem-limit 50%)" 268435456 "50% of memory.max 512 MiB is 256 MiB"
is "$(armed_limit --cgroup-root "$V2" --mem-limit max-256M)" 268435456 "max-256M of 512 MiB is 256 MiB"
is "$(armed_limit --cgroup-root "$V2" --mem-limit 1.5G)" 1610612736 "1.5G is 1.5 GiB (1024-based)"
is "$(armed_limit --cgroup-root "$V2" --mem-limit 512Ki)" 524288 "512Ki"
is "$(armed_limit --cgroup-root "$V2" --mem-limit 2GiB)" 2147483648 "2GiB"
is "$(armed_limit --cgroup-root "$V2" --mem-limit 1500M)" 1572864000 "1500M"
is "$(armed_limit --cgroup-root "$V1" --mem-limit 50%)" 268435456 "cgroup v1: 50% of memory.limit_in_bytes"
is "$(armed_limit --cgroup-root "$V1PARENT" --mem-limit 50%)" 268435456 \
  "cgroup v1: an ancestor's limit (hierarchical_memory_limit) counts when limit_in_bytes is unlimited"
like "$(timeout 10 "$TEST_VIGIL" -v --cgroup-root "$V1" --mem-limit 50% -- true 2>&1)" 'mem_armed source=cgroup1 ' \
  "a tree with memory.usage_in_bytes is cgroup v1"

# --- through the environment ----------------------------------------------------------------
rm -f "$MARK"
out=$(VIGIL_MEM_LIMIT=90% timeout 10 "$TEST_VIGIL" -v --cgroup-root "$V2" -- touch "$MARK" 2>&1)
rc=$?
is "$rc" 0 "VIGIL_MEM_LIMIT=90%: the program runs and vigil exits with its code"
check "VIGIL_MEM_LIMIT=90%: the program was started" test -e "$MARK"
like "$out" 'mem_armed .*limit_bytes=483183820 ' "VIGIL_MEM_LIMIT=90% resolves to 90% of memory.max"
is "$(VIGIL_MEM_LIMIT=90% armed_limit --cgroup-root "$V2" --mem-limit 50%)" 268435456 \
  "the command line beats VIGIL_MEM_LIMIT"
is "$(VIGIL_MEM_HARD_LIMIT=400M timeout 10 "$TEST_VIGIL" -v --cgroup-root "$V2" -- true 2>&1 |
  grep -o 'hard_limit_bytes=[0-9]*')" "hard_limit_bytes=419430400" "VIGIL_MEM_HARD_LIMIT alone arms the watcher"

rm -f "$MARK"
rc=0
VIGIL_MEM_LIMIT=90% timeout 10 "$TEST_VIGIL" --cgroup-root "$NOMAX" -- touch "$MARK" 2>"$TMP/err" || rc=$?
is "$rc" 2 "VIGIL_MEM_LIMIT=90% without a visible limit: exit 2"
check "VIGIL_MEM_LIMIT=90% without a visible limit: the program was not started" test ! -e "$MARK"
is "$(lines_of "$TMP/err")" 1 "VIGIL_MEM_LIMIT=90% without a visible limit: one line"
# The parse errors of environment values name the variable (VIGIL_MEM_LIMIT: '512': ...); so
# must this one: the user never typed --mem-limit.
like "$(cat "$TMP/err")" 'VIGIL_MEM_LIMIT.*90%' "VIGIL_MEM_LIMIT=90% without a visible limit: the line names VIGIL_MEM_LIMIT"

rm -f "$MARK"
rc=0
VIGIL_MEM_LIMIT=512 timeout 10 "$TEST_VIGIL" --cgroup-root "$V2" -- touch "$MARK" 2>"$TMP/err" || rc=$?
is "$rc" 2 "VIGIL_MEM_LIMIT=512 (no unit): exit 2"
like "$(cat "$TMP/err")" "VIGIL_MEM_LIMIT.*512" "VIGIL_MEM_LIMIT=512: the line names the variable and the value"
check "VIGIL_MEM_LIMIT=512: the program was not started" test ! -e "$MARK"

done_testing
