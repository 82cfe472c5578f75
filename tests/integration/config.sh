#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every option comes from the command line, a VIGIL_* variable or the --config JSON file, with
# precedence command line > environment > file > default. Bad input is one line on stderr
# naming what is wrong, exit status 2, and the program is never started.
. "$(dirname "$0")/lib.sh"
require_root

# option|good value|good JSON|bad value|bad JSON|words the error must contain (besides the
# option's name in that source; "@" stands for the bad value)
OPTIONS=(
  "signal-target|group|\"group\"|nobody|\"nobody\"|@"
  "group|1|true|maybe|\"maybe\"|@"
  "subreaper|1|true|maybe|\"maybe\"|@"
  "pdeathsig|TERM|\"TERM\"|NOSIG|\"NOSIG\"|@"
  "rewrite|28:0|[\"28:0\"]|15|[\"15\"]|@"
  "delay|USR1:1s|[\"USR1:1s\"]|TERM:soon|[\"TERM:soon\"]|soon"
  "remap-exit|7|[7]|300|[300]|@"
  "cleanup-grace|2s|\"2s\"|soon|\"soon\"|@"
  "wait-all|1|true|maybe|\"maybe\"|@"
  "verbose|1|1|lots|\"lots\"|@"
  "quiet|1|1|lots|\"lots\"|@"
  "warn-reap|1|true|maybe|\"maybe\"|@"
  "log-format|json|\"json\"|xml|\"xml\"|@"
)
n_opts=${#OPTIONS[@]}

plan $((n_opts * 6 + 2 + 3 + 14 + 7 + 4 + 3 + 2 + 1))

envname() { echo "VIGIL_$(tr 'a-z-' 'A-Z_' <<<"$1")"; }
MARK=$TMP/started
PROG=(sh -c 'touch "$0"; exit 0' "$MARK")

# vig [VAR=VALUE...] -- VIGIL-ARGS...: runs vigil (as a subreaper) with extra environment;
# sets RC, OUT (stdout) and ERR (stderr).
vig() {
  local envs=()
  while [ "$1" != -- ]; do
    envs+=("$1")
    shift
  done
  shift
  rm -f "$MARK"
  RC=0
  env "${envs[@]}" timeout -k 3 20 "$TEST_VIGIL" "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
  OUT=$(cat "$TMP/out") ERR=$(cat "$TMP/err")
}

# expect_ok DESCRIPTION: vigil ran the program and exited 0.
expect_ok() {
  if [ "$RC" = 0 ] && [ -e "$MARK" ]; then
    ok "$1"
  else
    not_ok "$1"
    diag "exit $RC, program started: $([ -e "$MARK" ] && echo yes || echo no), stderr: $ERR"
  fi
}

# expect_usage_error DESCRIPTION WORD...: exit 2, exactly one line on stderr containing every
# WORD, nothing on stdout, and the program never started.
expect_usage_error() {
  local desc=$1 w missing=""
  shift
  for w in "$@"; do
    grep -qF -- "$w" <<<"$ERR" || missing="$missing '$w'"
  done
  if [ "$RC" = 2 ] && [ "$(lines_of "$TMP/err")" = 1 ] && [ -z "$missing" ] && [ -z "$OUT" ] &&
    [ ! -e "$MARK" ]; then
    ok "$desc"
  else
    not_ok "$desc"
    diag "exit $RC (want 2), $(lines_of "$TMP/err") stderr line(s) (want 1), missing words:${missing:- none}"
    diag "program started: $([ -e "$MARK" ] && echo yes || echo no); stderr: $ERR; stdout: $OUT"
  fi
}

# --- every option from each source -----------------------------------------------------------
for entry in "${OPTIONS[@]}"; do
  IFS='|' read -r name good goodjson bad badjson words <<<"$entry"
  var=$(envname "$name")
  [ "$words" = @ ] && words=$bad
  # The command line: a flag or a count takes no value (--NAME), others take one.
  case $good in
    1) cli=("--$name") ;;
    *) cli=("--$name" "$good") ;;
  esac
  vig -- "${cli[@]}" -- "${PROG[@]}"
  expect_ok "--$name on the command line is accepted"
  vig "$var=$good" -- -- "${PROG[@]}"
  expect_ok "$var=$good is accepted"
  echo "{\"$name\": $goodjson}" >"$TMP/c.json"
  vig -- --config "$TMP/c.json" -- "${PROG[@]}"
  expect_ok "config key \"$name\": $goodjson is accepted"

  case $good in
    1) vig -- "--$name=$bad" -- "${PROG[@]}" ;;
    *) vig -- "--$name" "$bad" -- "${PROG[@]}" ;;
  esac
  if [ "$name" = verbose ] || [ "$name" = quiet ]; then
    # A count on the command line takes no value at all.
    expect_usage_error "--$name=$bad is a usage error naming the option" "--$name"
  else
    expect_usage_error "--$name $bad is a usage error naming the option and value" "--$name" "$words"
  fi
  vig "$var=$bad" -- -- "${PROG[@]}"
  expect_usage_error "$var=$bad is a usage error naming the variable and value" "$var" "$words"
  echo "{\"$name\": $badjson}" >"$TMP/c.json"
  vig -- --config "$TMP/c.json" -- "${PROG[@]}"
  expect_usage_error "config key \"$name\": $badjson is a usage error naming the key and value" \
    "\"$name\"" "$words"
done

# --config itself, from the command line and from VIGIL_CONFIG.
echo '{"remap-exit": [9]}' >"$TMP/c.json"
vig -- --config "$TMP/c.json" -- sh -c 'touch "$0"; exit 9' "$MARK"
expect_ok "--config FILE is read (its remap-exit 9 turns exit 9 into 0)"
vig "VIGIL_CONFIG=$TMP/c.json" -- -- sh -c 'touch "$0"; exit 9' "$MARK"
expect_ok "VIGIL_CONFIG=FILE is read (its remap-exit 9 turns exit 9 into 0)"

# A relative --config path is the caller's, not vigil's (vigil moves to / only later).
mkdir "$TMP/cfgdir"
echo '{"remap-exit": [9]}' >"$TMP/cfgdir/rel.json"
cd "$TMP/cfgdir" || exit 1
vig -- --config rel.json -- sh -c 'touch "$0"; exit 9' "$MARK"
cd - >/dev/null || exit 1
expect_ok "a relative --config path is read from the caller's directory"

# --help names every option and its variable; --version prints one line.
vig -- --help
missing=""
for entry in "${OPTIONS[@]}" "config"; do
  name=${entry%%|*}
  grep -qF -- "--$name" <<<"$OUT" || missing="$missing --$name"
  grep -qF -- "$(envname "$name")" <<<"$OUT" || missing="$missing $(envname "$name")"
done
if [ "$RC" = 0 ] && [ -z "$missing" ]; then
  ok "--help exits 0 and names every option and its VIGIL_ variable"
else
  not_ok "--help exits 0 and names every option and its VIGIL_ variable"
  diag "exit $RC; missing:$missing"
fi
vig -- --version
if [ "$RC" = 0 ] && [ "$(wc -l <"$TMP/out")" = 1 ] && grep -Eq '^vigil [0-9]+\.[0-9]+' <<<"$OUT"; then
  ok "--version exits 0 and prints one line 'vigil X.Y...'"
else
  not_ok "--version exits 0 and prints one line 'vigil X.Y...'"
  diag "exit $RC; stdout: $OUT"
fi

# --- bad input --------------------------------------------------------------------------------
vig -- --bogus -- "${PROG[@]}"
expect_usage_error "an unknown long option is a usage error naming it" "--bogus"
vig -- -x -- "${PROG[@]}"
expect_usage_error "an unknown short option is a usage error naming it" "-x"
vig VIGIL_BOGUS=1 -- -- "${PROG[@]}"
expect_usage_error "an unknown VIGIL_ variable is a usage error naming it" VIGIL_BOGUS
echo '{"bogus": 1}' >"$TMP/c.json"
vig -- --config "$TMP/c.json" -- "${PROG[@]}"
expect_usage_error "an unknown JSON key is a usage error naming it" bogus "$TMP/c.json"
echo '{"config": "other.json"}' >"$TMP/c.json"
vig -- --config "$TMP/c.json" -- "${PROG[@]}"
expect_usage_error "\"config\" inside the config file is an unknown key" config "$TMP/c.json"
printf '{"verbose": ' >"$TMP/c.json"
vig -- --config "$TMP/c.json" -- "${PROG[@]}"
expect_usage_error "malformed JSON is a usage error naming the file" "$TMP/c.json"
echo '["verbose"]' >"$TMP/c.json"
vig -- --config "$TMP/c.json" -- "${PROG[@]}"
expect_usage_error "a JSON document that is not an object is a usage error" "$TMP/c.json"
echo '{"cleanup-grace": ["1s", "2s"]}' >"$TMP/c.json"
vig -- --config "$TMP/c.json" -- "${PROG[@]}"
expect_usage_error "a list for a single-value key is a usage error naming the key" cleanup-grace
vig -- --config "$TMP/missing.json" -- "${PROG[@]}"
expect_usage_error "a missing config file is a usage error naming it" "$TMP/missing.json"
vig -- -g --signal-target child -- "${PROG[@]}"
expect_usage_error "-g with --signal-target child is a usage error naming both" "--signal-target" "-g"
vig -- --signal-target child --group -- "${PROG[@]}"
expect_usage_error "--signal-target child with --group is a usage error naming both" "--signal-target" "--group"
vig -- --cleanup-grace -- "${PROG[@]}"
expect_usage_error "an option missing its value is a usage error naming it" "--cleanup-grace"
vig -- -v
expect_usage_error "no program at all is a usage error" "program"

# -g and --signal-target group agree: no conflict.
vig -- -g --signal-target group -- "${PROG[@]}"
expect_ok "-g with --signal-target group is accepted"

# --- precedence: --remap-exit ---------------------------------------------------------------
# exit_with CODE [VAR=VALUE...] -- VIGIL-ARGS...: the program exits CODE; prints vigil's status.
exit_with() {
  local code=$1
  shift
  vig "$@" -- sh -c 'touch "$0"; exit "$1"' "$MARK" "$code"
  echo "$RC"
}
echo '{"remap-exit": [3]}' >"$TMP/file3.json"
is "$(exit_with 3 --)" 3 "remap-exit default: exit 3 stays 3"
is "$(exit_with 3 -- --config "$TMP/file3.json")" 0 "remap-exit from the file: exit 3 becomes 0"
is "$(exit_with 3 VIGIL_REMAP_EXIT=4 -- --config "$TMP/file3.json")" 3 \
  "remap-exit: the environment (4) replaces the file (3)"
is "$(exit_with 4 VIGIL_REMAP_EXIT=4 -- --config "$TMP/file3.json")" 0 \
  "remap-exit: the environment's 4 applies"
is "$(exit_with 4 VIGIL_REMAP_EXIT=4 -- --config "$TMP/file3.json" -e 5)" 4 \
  "remap-exit: the command line (5) replaces the environment (4)"
is "$(exit_with 5 VIGIL_REMAP_EXIT=4 -- --config "$TMP/file3.json" -e 5)" 0 \
  "remap-exit: the command line's 5 applies"
is "$(exit_with 4 VIGIL_REMAP_EXIT=3,4 --)" 0 "VIGIL_REMAP_EXIT=3,4 is a list"

# --- precedence: --rewrite, observed by a signal recorder ---------------------------------------
# rewritten_as [VAR=VALUE...] -- VIGIL-ARGS...: sends SIGUSR1 to vigil; prints what the child got.
rewritten_as() {
  local envs=()
  while [ "$1" != -- ]; do
    envs+=("$1")
    shift
  done
  shift
  local log
  log=$(mktemp "$TMP/rw.XXXXXX")  # each call runs in its own $(...) subshell
  env "${envs[@]}" timeout -k 3 20 "$TEST_VIGIL" "$@" -- "$H/sigrecorder" -x 14 "$log" "$log.ready" &
  local bg=$!
  local vpid
  vpid=$(wait_for_child "$bg")
  if wait_for_file "$log.ready"; then
    kill -s USR1 "$vpid"
    wait_for_lines "$log" 1 5
    kill -s ALRM "$vpid"
  fi
  wait "$bg" 2>/dev/null
  head -n1 "$log" 2>/dev/null
}
echo '{"rewrite": ["10:12"]}' >"$TMP/rw.json"
is "$(rewritten_as --)" 10 "rewrite default: SIGUSR1 arrives as itself"
is "$(rewritten_as -- --config "$TMP/rw.json")" 12 "rewrite from the file: SIGUSR1 arrives as SIGUSR2"
is "$(rewritten_as VIGIL_REWRITE=10:1 -- --config "$TMP/rw.json")" 1 \
  "rewrite: the environment (10:1) wins over the file (10:12)"
is "$(rewritten_as VIGIL_REWRITE=10:1 -- --config "$TMP/rw.json" -r 10:28)" 28 \
  "rewrite: the command line (10:28) wins over the environment"

# --- precedence: --log-format ------------------------------------------------------------------
fmt() {
  vig "$@" -v -- "${PROG[@]}"
  case $ERR in
    '{'*) echo json ;;
    vigil:*) echo text ;;
    *) echo "other: $ERR" ;;
  esac
}
echo '{"log-format": "json"}' >"$TMP/fmt.json"
is "$(fmt -- --config "$TMP/fmt.json")" json "log-format from the file: json"
is "$(fmt VIGIL_LOG_FORMAT=text -- --config "$TMP/fmt.json")" text \
  "log-format: the environment (text) wins over the file (json)"
is "$(fmt VIGIL_LOG_FORMAT=text -- --config "$TMP/fmt.json" --log-format json)" json \
  "log-format: the command line (json) wins over the environment (text)"

# --- precedence: --signal-target (file group vs. environment child) ----------------------------
# With the file's "group" overridden by VIGIL_SIGNAL_TARGET=child, a grandchild in the child's
# group does not get SIGUSR1; with the file alone it does.
target_reaches_grandchild() {
  local envs=()
  while [ "$1" != -- ]; do
    envs+=("$1")
    shift
  done
  shift
  local c g
  c=$(mktemp "$TMP/st-c.XXXXXX") g=$(mktemp "$TMP/st-g.XXXXXX")
  env "${envs[@]}" timeout -k 3 20 "$TEST_VIGIL" "$@" -- sh -c \
    '"$0" -x 14 -x 15 "$1.log" "$1.ready" & exec "$0" -x 14 "$2.log" "$2.ready"' \
    "$H/sigrecorder" "$g" "$c" &
  local bg=$!
  local vpid
  vpid=$(wait_for_child "$bg")
  if wait_for_file "$c.ready" && wait_for_file "$g.ready"; then
    kill -s USR1 "$vpid"
    wait_for_lines "$c.log" 1 5
    sleep 0.3
    kill -s ALRM "$vpid"
  fi
  wait "$bg" 2>/dev/null
  if grep -qx 10 "$g.log" 2>/dev/null; then echo yes; else echo no; fi
}
echo '{"signal-target": "group"}' >"$TMP/st.json"
is "$(target_reaches_grandchild -- --config "$TMP/st.json")" yes \
  "signal-target group from the file reaches the grandchild"
is "$(target_reaches_grandchild VIGIL_SIGNAL_TARGET=child -- --config "$TMP/st.json")" no \
  "signal-target: the environment (child) wins over the file (group)"

# --- as PID 1 too: a bad option never starts the program -------------------------------------
rm -f "$MARK"
rc=0
run_vigil pid1 10 --signal-target nobody -- "${PROG[@]}" 2>"$TMP/err" || rc=$?
if [ "$rc" = 2 ] && [ ! -e "$MARK" ] && [ "$(lines_of "$TMP/err")" = 1 ]; then
  ok "pid1: a bad value exits 2 with one line and the program never starts"
else
  not_ok "pid1: a bad value exits 2 with one line and the program never starts"
  diag "exit $rc; stderr: $(cat "$TMP/err")"
fi

done_testing
