#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every option, variable and config key has a bad-input case: vigil prints exactly one line on
# stderr naming the option (--name, or -x/--name), the variable (VIGIL_NAME) or the key
# ("name"), exits 2, and does not start the program (which would create a marker file).
#
# The lists of options and variables come from `vigil --help`: each long option there, and each
# [VIGIL_...] variable with its JSON key, must have a case in the tables below, or its test
# fails. A new option cannot be added without one.
. "$(dirname "$0")/hardlib.sh"

MISSING=$TMP/missing.json # never created

# Command line: option -> the bad arguments (words; no word holds a space).
declare -A CLI=(
  [help]="--help=1"
  [version]="--version=yes"
  [license]="--license=1"
  [health]="--health=now"
  [compat]="--compat bogus"
  [config]="--config $MISSING"
  [signal-target]="--signal-target everyone"
  [group]="--group=2"
  [subreaper]="--subreaper=maybe"
  [pdeathsig]="--pdeathsig SIGNOPE"
  [rewrite]="--rewrite TERM:99"
  [delay]="--delay TERM:soon"
  [remap-exit]="--remap-exit 256"
  [cleanup-grace]="--cleanup-grace 5"
  [wait-all]="--wait-all=2"
  [verbose]="--verbose=3"
  [quiet]="--quiet=1"
  [warn-reap]="--warn-reap=maybe"
  [log-format]="--log-format xml"
  [user]="--user no-such-user-of-vigil-tests"
  [keep-caps]="--keep-caps cap_bogus"
  [no-new-privs]="--no-new-privs=perhaps"
  [mem-limit]="--mem-limit 100"
  [mem-hard-limit]="--mem-hard-limit 1.5X"
  [mem-metric]="--mem-metric pss"
  [mem-source]="--mem-source cgroup3"
  [mem-interval]="--mem-interval 5ms"
  [mem-sustain]="--mem-sustain -1s"
  [mem-signal]="--mem-signal 65"
  [mem-target]="--mem-target nobody"
  [mem-grace]="--mem-grace forever"
  [mem-exit-code]="--mem-exit-code 0"
  [termination-log]="--termination-log="
)

# Environment: variable -> the bad value.
declare -A ENVV=(
  [VIGIL_COMPAT]="bogus"
  [VIGIL_CONFIG]="$MISSING"
  [VIGIL_SIGNAL_TARGET]="everyone"
  [VIGIL_GROUP]="maybe"
  [VIGIL_SUBREAPER]="2"
  [VIGIL_PDEATHSIG]="NOPE"
  [VIGIL_REWRITE]="HUP:INT,TERM:99"
  [VIGIL_DELAY]="TERM"
  [VIGIL_REMAP_EXIT]="-1"
  [VIGIL_CLEANUP_GRACE]="later"
  [VIGIL_WAIT_ALL]="maybe"
  [VIGIL_VERBOSE]="lots"
  [VIGIL_QUIET]="10"
  [VIGIL_WARN_REAP]="sometimes"
  [VIGIL_LOG_FORMAT]="yaml"
  [VIGIL_USER]=""
  [VIGIL_KEEP_CAPS]="all_of_them"
  [VIGIL_NO_NEW_PRIVS]="nope"
  [VIGIL_MEM_LIMIT]="50"
  [VIGIL_MEM_HARD_LIMIT]="-1G"
  [VIGIL_MEM_METRIC]="vss"
  [VIGIL_MEM_SOURCE]="cgroup"
  [VIGIL_MEM_INTERVAL]="2m"
  [VIGIL_MEM_SUSTAIN]="5"
  [VIGIL_MEM_SIGNAL]="SIGFOO"
  [VIGIL_MEM_TARGET]="parent"
  [VIGIL_MEM_GRACE]="1y"
  [VIGIL_MEM_EXIT_CODE]="256"
  [VIGIL_TERMINATION_LOG]=""
)

# Config file: key -> a JSON value of a type the key does not take.
declare -A JSONV=(
  [compat]='5'
  [config]='true'
  [signal-target]='1'
  [group]='2'
  [subreaper]='null'
  [pdeathsig]='1.5'
  [rewrite]='{"TERM": "INT"}'
  [delay]='[["TERM", "1s"]]'
  [remap-exit]='[143.0]'
  [cleanup-grace]='5'
  [wait-all]='"maybe"'
  [verbose]='1.5'
  [quiet]='-1'
  [warn-reap]='[]'
  [log-format]='true'
  [user]='["root"]'
  [keep-caps]='["net_bind_service"]'
  [no-new-privs]='"sometimes"'
  [mem-limit]='536870912'
  [mem-hard-limit]='1e9'
  [mem-metric]='null'
  [mem-source]='["procfs"]'
  [mem-interval]='100'
  [mem-sustain]='false'
  [mem-signal]='-15'
  [mem-target]='{}'
  [mem-grace]='30'
  [mem-exit-code]='0'
  [termination-log]='false'
)

# Further cases of note, beyond one per option: short spellings, unknown names, a malformed
# config file. Each: "LABEL|NAME-REGEX|ARGS" (environment cases use ENV:NAME=VALUE as ARGS).
EXTRA=(
  "-m 100|-m/--mem-limit|-m 100"
  "-p NOPE|-p/--pdeathsig|-p NOPE"
  "-r TERM|-r/--rewrite|-r TERM"
  "-e 999|-e/--remap-exit|-e 999"
  "-gX (unknown short option in a cluster)|'-X'|-gX"
  "unknown option|--no-such-option|--no-such-option"
  "unknown variable|VIGIL_NO_SUCH_OPTION|ENV:VIGIL_NO_SUCH_OPTION=1"
  "malformed config|bad\\.json|--config $TMP/bad.json"
  "config not an object|list\\.json|--config $TMP/list.json"
  "unknown key|\"no-such-key\"|--config $TMP/unknown.json"
  "--compat not first|--compat|-v --compat tini"
  "--health with a program|--health|--health"
)
printf '{"mem-limit": "1G",\n' >"$TMP/bad.json"
printf '["mem-limit"]\n' >"$TMP/list.json"
printf '{"no-such-key": 1}\n' >"$TMP/unknown.json"

help=$("$TEST_VIGIL" --help 2>&1)
mapfile -t OPTS < <(sed -nE 's/^ +(-[A-Za-z0-9], )? *--([a-z0-9][a-z0-9-]*).*/\2/p' <<<"$help")
mapfile -t VARS < <(grep -oE '\[VIGIL_[A-Z0-9_]+\]' <<<"$help" | tr -d '[]')

plan $((1 + ${#OPTS[@]} + ${#VARS[@]} * 2 + ${#EXTRA[@]}))

if [ "${#OPTS[@]}" -ge 30 ] && [ "${#VARS[@]}" -ge 25 ]; then
  ok "vigil --help lists ${#OPTS[@]} long options and ${#VARS[@]} variables"
else
  not_ok "vigil --help lists ${#OPTS[@]} long options and ${#VARS[@]} variables (too few: the help format changed?)"
  diag "$help"
fi

n=0
# expect_rejected LABEL NAME-REGEX ENV-ASSIGNMENT ARGS...: runs vigil with ARGS (and the
# environment assignment, when not empty) before the marker program, checks the outcome.
expect_rejected() {
  local label=$1 name_re=$2 envset=$3
  shift 3
  n=$((n + 1))
  local marker=$TMP/marker.$n err=$TMP/err.$n rc=0
  local envargs=()
  [ -n "$envset" ] && envargs=("$envset")
  env "${envargs[@]}" timeout -k 2 10 "$TEST_VIGIL" "$@" -- sh -c "touch '$marker'" \
    >/dev/null 2>"$err" </dev/null || rc=$?
  local lines why=""
  lines=$(wc -l <"$err")
  [ "$rc" = 2 ] || why+=" exit $rc, not 2;"
  [ "$lines" = 1 ] || why+=" $lines lines on stderr, not 1;"
  grep -Eq -- "$name_re" "$err" || why+=" the line does not name $name_re;"
  [ ! -e "$marker" ] || why+=" the program was started;"
  if [ -z "$why" ]; then
    ok "$label: exit 2, one line naming it, program not started"
  else
    not_ok "$label: exit 2, one line naming it, program not started"
    diag "$label:$why stderr:"
    diag "$(cat "$err")"
  fi
}

for o in "${OPTS[@]}"; do
  if [ -z "${CLI[$o]+set}" ]; then
    not_ok "--$o: has a command-line case in the table of bad_input.sh"
    continue
  fi
  # shellcheck disable=SC2086 # the table holds words
  expect_rejected "--$o (${CLI[$o]})" "(^|[^a-z-])--$o([^a-z-]|$)" "" ${CLI[$o]}
done

for v in "${VARS[@]}"; do
  if [ -z "${ENVV[$v]+set}" ]; then
    not_ok "$v: has an environment case in the table of bad_input.sh"
  else
    expect_rejected "$v='${ENVV[$v]}'" "$v" "$v=${ENVV[$v]}"
  fi
  key=$(sed -e 's/^VIGIL_//' -e 'y/ABCDEFGHIJKLMNOPQRSTUVWXYZ_/abcdefghijklmnopqrstuvwxyz-/' <<<"$v")
  if [ -z "${JSONV[$key]+set}" ]; then
    not_ok "config key \"$key\": has a wrong-type case in the table of bad_input.sh"
  else
    printf '{"%s": %s}\n' "$key" "${JSONV[$key]}" >"$TMP/$key.json"
    expect_rejected "config {\"$key\": ${JSONV[$key]}}" "\"$key\"" "" --config "$TMP/$key.json"
  fi
done

for e in "${EXTRA[@]}"; do
  IFS='|' read -r label name_re args <<<"$e"
  if [[ $args == ENV:* ]]; then
    expect_rejected "$label" "$name_re" "${args#ENV:}"
  else
    # shellcheck disable=SC2086
    expect_rejected "$label" "$name_re" "" $args
  fi
done

done_testing
