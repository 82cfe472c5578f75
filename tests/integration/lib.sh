# SPDX-License-Identifier: Apache-2.0
# Shared TAP and process helpers for the integration tests; sourced by every script.
#
# Environment: TEST_VIGIL (the vigil binary) and TEST_HELPERS (the directory of the helper
# programs). Test variables never start with VIGIL_: vigil rejects unknown ones.

# Variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034

set -u

: "${TEST_VIGIL:?TEST_VIGIL must name the vigil binary}"
: "${TEST_HELPERS:?TEST_HELPERS must name the helpers build directory}"
H=$TEST_HELPERS

# Any VIGIL_* variable in the caller's environment would change what vigil does.
for _v in $(compgen -e); do
  case $_v in VIGIL_*) unset "$_v" ;; esac
done
unset _v

_tap_n=0
_tap_planned=0

plan() {
  _tap_planned=$1
  echo "1..$1"
}

# Skips the whole script (TAP: a plan of zero with a reason).
skip_all() {
  echo "1..0 # SKIP $*"
  exit 0
}

require_root() {
  [ "$(id -u)" = 0 ] || skip_all "needs root"
  unshare --pid --fork --mount-proc true 2>/dev/null || skip_all "needs unshare --pid --mount-proc"
}

diag() {
  local line
  while IFS= read -r line; do echo "# $line"; done <<<"$*"
}

ok() {
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n - $*"
}

not_ok() {
  _tap_n=$((_tap_n + 1))
  echo "not ok $_tap_n - $*"
}

skip() {
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n - $* # SKIP"
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
  local desc=$1
  shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# is GOT EXPECTED DESCRIPTION
is() {
  if [ "$1" == "$2" ]; then
    ok "$3"
  else
    not_ok "$3"
    diag "expected: '$2'"
    diag "     got: '$1'"
  fi
}

# isnt GOT UNEXPECTED DESCRIPTION
isnt() {
  if [ "$1" != "$2" ]; then
    ok "$3"
  else
    not_ok "$3"
    diag "got the unwanted value '$1'"
  fi
}

# like TEXT EXTENDED-REGEX DESCRIPTION: ok when some line of TEXT matches.
like() {
  if grep -Eq -- "$2" <<<"$1"; then
    ok "$3"
  else
    not_ok "$3"
    diag "no line matches /$2/ in:"
    diag "$1"
  fi
}

# unlike TEXT EXTENDED-REGEX DESCRIPTION: ok when no line of TEXT matches.
unlike() {
  if ! grep -Eq -- "$2" <<<"$1"; then
    ok "$3"
  else
    not_ok "$3"
    diag "unexpected match of /$2/ in:"
    diag "$1"
  fi
}

# in_range VALUE LOW HIGH DESCRIPTION (integers, inclusive)
in_range() {
  if [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; then
    ok "$4"
  else
    not_ok "$4"
    diag "expected $2..$3, got $1"
  fi
}

done_testing() {
  if [ "$_tap_n" -ne "$_tap_planned" ]; then
    echo "# planned $_tap_planned tests but ran $_tap_n"
    exit 1
  fi
  exit 0
}

# A temporary directory, removed on exit together with anything still running from it.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-it.XXXXXX")
chmod 755 "$TMP"
# Background `timeout` processes not yet waited for. Each leads its own process group
# (timeout(1) calls setpgid), which holds unshare and vigil too; being unreaped children of
# this shell, their pids cannot have been reused.
_bg_pids=()
_cleanup() {
  local p
  for p in "${_bg_pids[@]}"; do
    kill -KILL -- "-$p" "$p" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap _cleanup EXIT

# now_ms: a monotonic clock in milliseconds (10 ms steps), from /proc/uptime: the wall clock
# may be stepped while a test runs, which would cut polling loops short or stretch timings.
now_ms() {
  local up
  read -r up _ </proc/uptime
  echo $((10#${up/./} * 10))
}

# wait_for_file FILE [SECONDS]: true once FILE exists and is not empty.
wait_for_file() {
  local f=$1 limit=${2:-10}
  local deadline=$(($(now_ms) + limit * 1000))
  while [ ! -s "$f" ]; do
    [ "$(now_ms)" -ge "$deadline" ] && return 1
    sleep 0.02
  done
  return 0
}

# wait_for_lines FILE N [SECONDS]: true once FILE has at least N lines.
wait_for_lines() {
  local f=$1 n=$2 limit=${3:-10}
  local deadline=$(($(now_ms) + limit * 1000))
  while [ "$(lines_of "$f")" -lt "$n" ]; do
    [ "$(now_ms)" -ge "$deadline" ] && return 1
    sleep 0.02
  done
  return 0
}

lines_of() {
  if [ -e "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

# children_of PID: the pids of PID's children, one per line. Scans every /proc/N/stat (the
# kernel's task/N/children list proved unreliable under load); comm may hold spaces and ')',
# so ppid is taken after the last ')'.
children_of() {
  cat /proc/[0-9]*/stat 2>/dev/null |
    awk -v want="$1" '{ rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ");
                        if (f[2] == want) print $1 }'
}

# wait_for_child PID [SECONDS]: prints PID's first child once there is one.
wait_for_child() {
  local parent=$1 limit=${2:-10} c
  local start wall=$SECONDS
  start=$(now_ms)
  local deadline=$((start + limit * 1000))
  while :; do
    c=$(children_of "$parent" | head -n1)
    if [ -n "$c" ]; then
      echo "$c"
      return 0
    fi
    if [ "$(now_ms)" -ge "$deadline" ]; then
      diag "no child of $parent after $(($(now_ms) - start)) ms ($((SECONDS - wall)) s by the wall clock); its stat: $(cat "/proc/$parent/stat" 2>&1)" >&2
      return 1
    fi
    sleep 0.02
  done
}

# proc_state PID: the state letter from /proc/PID/stat, or "gone".
proc_state() {
  local line
  { line=$(<"/proc/$1/stat"); } 2>/dev/null || {
    echo gone
    return
  }
  line=${line##*) }
  echo "${line%% *}"
}

# wait_gone PID [SECONDS]: true once PID has exited (gone or a zombie).
wait_gone() {
  local pid=$1 limit=${2:-10} s
  local deadline=$(($(now_ms) + limit * 1000))
  while :; do
    s=$(proc_state "$pid")
    [ "$s" = gone ] || [ "$s" = Z ] || [ "$s" = X ] && return 0
    [ "$(now_ms)" -ge "$deadline" ] && return 1
    sleep 0.02
  done
}

# vigil_cmd MODE: the command words that start vigil in MODE.
#   pid1:      PID 1 of a new PID namespace, with its own /proc
#   subreaper: an ordinary child of the test, so vigil makes itself a child subreaper
vigil_cmd() {
  case $1 in
    pid1) echo "unshare --pid --fork --mount-proc --" ;;
    subreaper) echo "" ;;
    *)
      echo "bad mode $1" >&2
      return 1
      ;;
  esac
}

# WRAPPER: words put between unshare and vigil by run_vigil and start_vigil (e.g. a helper
# that changes the signal state vigil starts with, then execs it). Empty by default.
WRAPPER=""

# run_vigil MODE SECONDS [VIGIL-ARGS...]: runs vigil in the foreground, bounded by timeout.
run_vigil() {
  local mode=$1 limit=$2 pre
  shift 2
  pre=$(vigil_cmd "$mode") || return 1
  # shellcheck disable=SC2086
  timeout -k 3 "$limit" $pre $WRAPPER "$TEST_VIGIL" "$@"
}

# start_vigil MODE SECONDS [VIGIL-ARGS...]: runs vigil in the background. Sets BG (the pid to
# wait for) and VPID (vigil's pid as seen from here, once it exists).
start_vigil() {
  local mode=$1 limit=$2 pre
  shift 2
  # The prefix is computed here, not inside the background job: there the command
  # substitution's short-lived subshell could be taken for vigil by wait_for_child.
  pre=$(vigil_cmd "$mode") || return 1
  # shellcheck disable=SC2086
  timeout -k 3 "$limit" $pre $WRAPPER "$TEST_VIGIL" "$@" &
  BG=$!
  _bg_pids+=("$BG")
  VPID=$(wait_for_child "$BG" 20)
  if [ "$mode" = pid1 ] && [ -n "$VPID" ]; then
    VPID=$(wait_for_child "$VPID" 20)
  fi
  if [ -z "$VPID" ]; then
    diag "$mode: vigil not found; /proc/N/stat of the processes in the timeout group $BG:"
    diag "$(cat /proc/[0-9]*/stat 2>/dev/null |
      awk -v g="$BG" '{ r = $0; sub(/^.*\) /, "", r); split(r, f, " "); if (f[3] == g) print }')"
    return 1
  fi
}

# finish_vigil: waits for the background vigil (bounded by its timeout) and sets RC to its
# exit status (124 when the timeout struck). Not in a command substitution: wait needs the
# job of this very shell.
finish_vigil() {
  RC=0
  wait "$BG" 2>/dev/null || RC=$?
  local p keep=()
  for p in "${_bg_pids[@]}"; do
    [ "$p" = "$BG" ] || keep+=("$p")
  done
  _bg_pids=("${keep[@]}")
}

# elapsed_between START_MS END_MS
elapsed_between() { echo $(($2 - $1)); }

MODES="pid1 subreaper"

# wait_for_grep FILE REGEX [SECONDS] [COUNT]: true once COUNT lines of FILE match REGEX.
wait_for_grep() {
  local f=$1 re=$2 limit=${3:-10} count=${4:-1} n
  local deadline=$(($(now_ms) + limit * 1000))
  while :; do
    n=$(grep -Ec -- "$re" "$f" 2>/dev/null)
    [ "${n:-0}" -ge "$count" ] && return 0
    [ "$(now_ms)" -ge "$deadline" ] && return 1
    sleep 0.02
  done
}

# count_lines FILE REGEX: the number of lines of FILE matching REGEX (0 when FILE is absent).
count_lines() {
  local n
  n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
  echo "${n:-0}"
}

# show FILE: the file as TAP diagnostics (for failures).
show() {
  [ -s "$1" ] && diag "$(cat "$1")"
  return 0
}
