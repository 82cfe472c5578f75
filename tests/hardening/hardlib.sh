# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared helpers of the hardening tests; sourced by every script in tests/hardening.
# Builds on the integration TAP library (plan/ok/is/check/like, start_vigil/finish_vigil, $TMP
# removed on exit, $H = the integration helper programs) and adds the hardening helpers ($HH),
# descriptor counts, fake cgroup trees and log-line counting.

# Variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034

HARD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$HARD_DIR/../integration/lib.sh"

: "${TEST_HARDENING_HELPERS:?TEST_HARDENING_HELPERS must name the hardening helpers build directory}"
HH=$TEST_HARDENING_HELPERS
FIXTURES=$HARD_DIR/../fixtures
MiB=1048576

# require_helpers NAME...: skips the script unless every helper was built ($HH first, then $H).
require_helpers() {
  local h
  for h in "$@"; do
    [ -x "$HH/$h" ] || [ -x "$H/$h" ] || skip_all "helper $h was not built"
  done
}

# fd_count PID: the number of open descriptors of PID (-1 when it cannot be read).
fd_count() {
  local n
  n=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) || n=-1
  [ -d "/proc/$1/fd" ] || n=-1
  echo "$n"
}

# fd_settled PID: the descriptor count of PID once two samples 50 ms apart agree (vigil opens
# files for a moment while it samples memory; a count taken in that moment would be too high).
fd_settled() {
  local a b i
  a=$(fd_count "$1")
  for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    sleep 0.05
    b=$(fd_count "$1")
    [ "$a" = "$b" ] && break
    a=$b
  done
  echo "$a"
}

# fd_end PID: the smallest of three descriptor counts 50 ms apart. A leaked descriptor stays;
# one that vigil holds for a moment while it reads a file does not.
fd_end() {
  local m n i
  m=$(fd_count "$1")
  for i in 1 2; do
    sleep 0.05
    n=$(fd_count "$1")
    [ "$n" -lt "$m" ] && m=$n
  done
  echo "$m"
}

# fd_show PID: the descriptors of PID as TAP diagnostics (for failures).
fd_show() {
  local f
  for f in /proc/"$1"/fd/*; do
    diag "  $(basename "$f") -> $(readlink "$f" 2>/dev/null)"
  done
}

# check_fds WHAT START END: ok when vigil holds no more descriptors at the end than at the start.
check_fds() {
  if [ "$2" -ge 0 ] && [ "$3" -ge 0 ] && [ "$3" -le "$2" ]; then
    ok "$1: vigil holds no more descriptors at the end ($3) than at the start ($2)"
  else
    not_ok "$1: vigil holds no more descriptors at the end ($3) than at the start ($2)"
    [ -n "${VPID:-}" ] && fd_show "$VPID"
  fi
}

# alive PID: true while PID exists and is not a zombie.
alive() {
  local s
  s=$(proc_state "$1")
  [ "$s" != gone ] && [ "$s" != Z ] && [ "$s" != X ]
}

# show_head FILE: the lines of FILE other than reap warnings, at most 20, as TAP diagnostics.
show_head() {
  local other
  other=$(grep -v '^vigil: warning: reap ' "$1" 2>/dev/null | head -n 20)
  [ -n "$other" ] && diag "$other"
  return 0
}

# fake_v2 NAME: a copy of the cgroup v2 fixture (memory.max 512 MiB, memory.current 256 MiB,
# inactive_file 64 MiB) in $TMP; prints its path.
fake_v2() {
  local d=$TMP/$1
  mkdir -p "$d" && cp "$FIXTURES"/cgroup-v2/* "$d"/ && echo "$d"
}

# set_file FILE TEXT: replaces FILE atomically (a rename); vigil opens cgroup files afresh for
# every sample.
set_file() {
  printf '%s\n' "$2" >"$1.new.$$" && mv -f "$1.new.$$" "$1"
}

# count_of FILE SIGNUM: the count of SIGNUM in a sigcount or sigstorm result (0 when absent).
count_of() {
  local n
  n=$(awk -v s="$2" '$1 == s { print $2 }' "$1" 2>/dev/null)
  echo "${n:-0}"
}

# field LINE NAME: the value of NAME=VALUE in LINE (empty when absent).
field() {
  sed -n "s/.*\\b$2=\\([0-9-]*\\).*/\\1/p" <<<"$1"
}
