#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one libFuzzer target as a test: replays every file of its regression directory, then
# fuzzes a scratch copy of its seed corpus (the repository is never written) for
# VIGIL_FUZZ_SECONDS seconds (default 20). Fails on any crash, leak, timeout or property
# violation; a crashing input is kept in the artifact directory and shown in hex. The last line
# of the output is libFuzzer's "Done N runs in S second(s)".
#
# usage: run_fuzz.sh TARGET CORPUS_DIR REGRESSION_DIR DICT ARTIFACT_DIR
set -uo pipefail

target=$1 corpus=$2 regressions=$3 dict=$4 artifacts=$5
name=$(basename "$target")
seconds=${VIGIL_FUZZ_SECONDS:-20}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "$name: VIGIL_FUZZ_SECONDS must be a whole number of seconds, got '$seconds'" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-$name.XXXXXX") || exit 1
# Targets that go through files (fake cgroup and /proc directories) rewrite them at every
# execution: on tmpfs when there is one, since a disk file system makes that I/O-bound.
scratch_base=$work
[[ -d /dev/shm && -w /dev/shm ]] && scratch_base=/dev/shm
scratch=$(mktemp -d "$scratch_base/vigil-$name-scratch.XXXXXX") || exit 1
trap 'rm -rf "$work" "$scratch"' EXIT
export FUZZ_SCRATCH_DIR=$scratch
mkdir -p "$work/corpus" "$artifacts" || exit 1
# An earlier run's reproducers are removed (copy one to the regression directory to keep it).
rm -f "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*
if [[ -d $corpus ]]; then
  cp -R "$corpus/." "$work/corpus/" || exit 1
fi
# UBSan stops at the first finding (the library is also built with -fno-sanitize-recover);
# ASan keeps its defaults, leak detection included.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

show_crashes() {
  local f
  for f in "$artifacts"/*; do
    [[ -f $f ]] || continue
    echo "$name: reproducer $f ($(stat -c %s "$f") bytes):"
    od -A d -c "$f" | head -n 40
  done
}

# 1. Every regression input, once. libFuzzer runs the files it is given and exits.
shopt -s nullglob
cases=()
if [[ -d $regressions ]]; then
  for f in "$regressions"/*; do
    [[ -f $f && $(basename "$f") != README* ]] && cases+=("$f")
  done
fi
if ((${#cases[@]})); then
  if ! "$target" -rss_limit_mb=2048 -timeout=5 "${cases[@]}" >"$work/regressions.log" 2>&1; then
    tail -n 60 "$work/regressions.log"
    echo "$name: a regression input fails again (see above)"
    exit 1
  fi
  echo "$name: ${#cases[@]} regression input(s) pass"
fi

# 2. Fuzzing, bounded in time; the wall-clock guard only catches a hung fuzzer.
opts=(-max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$artifacts/")
[[ -f $dict ]] && opts+=(-dict="$dict")
timeout -k 10 $((seconds + 120)) "$target" "${opts[@]}" "$work/corpus" >"$work/fuzz.log" 2>&1
rc=$?
done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$work/fuzz.log" | tail -n 1)
if ((rc != 0)) || [[ -z $done_line ]]; then
  tail -n 80 "$work/fuzz.log"
  show_crashes
  echo "$name: FAILED (exit status $rc); reproduce with: $target <reproducer>"
  exit 1
fi
grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$work/fuzz.log"
grep -E '^#[0-9]+[[:space:]]+DONE' "$work/fuzz.log" | tail -n 1
echo "$name: corpus $(find "$corpus" -type f 2>/dev/null | wc -l) seed(s), fuzzed ${seconds}s"
echo "$done_line"
