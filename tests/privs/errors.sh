#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Privilege errors. A user, group or capability that does not exist (from the command line,
# VIGIL_* or the JSON config) is a usage error: exit 2, one line on stderr naming the value,
# nothing started. A failure in the child between fork and exec (vigil itself not root, so
# setgroups is refused) is exit 126 with one clear line, and the program never runs. A program
# the user may not execute is 126, a missing one 127.
# shellcheck source=privlib.sh
. "$(dirname "$0")/privlib.sh"
require_privs_env

plan 32

MARK=$W/started
PROG=(sh -c 'touch "$0"' "$MARK")

# vig [VAR=VALUE...] -- VIGIL-ARGS...: runs vigil (as PID 1) with extra environment; sets RC,
# OUT, ERR. A WRAP array, when set, goes between unshare and vigil (e.g. setpriv).
WRAP=()
vig() {
  local envs=()
  while [ "$1" != -- ]; do
    envs+=("$1")
    shift
  done
  shift
  rm -f "$MARK"
  RC=0
  env "${envs[@]}" timeout -k 3 15 unshare --pid --fork --mount-proc -- \
    "${WRAP[@]}" "$TEST_VIGIL" "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
  OUT=$(cat "$TMP/out") ERR=$(cat "$TMP/err")
}

# expect_error DESCRIPTION CODE WORD...: exit CODE, exactly one line on stderr containing every
# WORD (fixed strings), and the program never started. Two checks: the outcome (exit status,
# program not started) and the message.
expect_error() {
  local desc=$1 code=$2 w missing=""
  shift 2
  if [ "$RC" = "$code" ] && [ ! -e "$MARK" ]; then
    ok "$desc: exit $code, program not started"
  else
    not_ok "$desc: exit $code, program not started"
    diag "exit $RC, program started: $([ -e "$MARK" ] && echo yes || echo no); stderr: $ERR"
  fi
  for w in "$@"; do
    grep -qF -- "$w" <<<"$ERR" || missing="$missing '$w'"
  done
  if [ "$(lines_of "$TMP/err")" = 1 ] && [ -z "$missing" ]; then
    ok "$desc: one line naming$(printf " '%s'" "$@")"
  else
    not_ok "$desc: one line naming$(printf " '%s'" "$@")"
    diag "$(lines_of "$TMP/err") stderr line(s) (want 1), missing:${missing:- none}; stderr:"
    diag "$ERR"
  fi
}

# --- unknown names ----------------------------------------------------------------------------
vig -- -u nosuchuser -- "${PROG[@]}"
expect_error "-u nosuchuser" 2 "--user" nosuchuser
vig -- -u nobody:nosuchgroup -- "${PROG[@]}"
expect_error "-u nobody:nosuchgroup" 2 "--user" nosuchgroup
vig -- -u 4242:nosuchgroup -- "${PROG[@]}"
expect_error "-u 4242:nosuchgroup (numeric uid, unknown group)" 2 "--user" nosuchgroup
vig -- -u nobody --keep-caps cap_frobnicate -- "${PROG[@]}"
expect_error "--keep-caps cap_frobnicate" 2 "--keep-caps" cap_frobnicate
vig -- -u nobody --keep-caps net_bind_service,frobnicate -- "${PROG[@]}"
expect_error "--keep-caps net_bind_service,frobnicate (one bad name in a list)" 2 "--keep-caps" \
  frobnicate
vig -- -u 4294967296 -- "${PROG[@]}"
expect_error "-u 4294967296 (beyond uid_t)" 2 "--user" 4294967296

# From the environment and the JSON config: the message names the variable or the key, as it
# does for every other option.
vig VIGIL_USER=nosuchuser -- -- "${PROG[@]}"
expect_error "VIGIL_USER=nosuchuser" 2 VIGIL_USER nosuchuser
vig VIGIL_KEEP_CAPS=cap_frobnicate -- -- "${PROG[@]}"
expect_error "VIGIL_KEEP_CAPS=cap_frobnicate" 2 VIGIL_KEEP_CAPS cap_frobnicate
echo '{"user": "nobody:nosuchgroup"}' >"$TMP/e.json"
vig -- --config "$TMP/e.json" -- "${PROG[@]}"
expect_error "config key \"user\": \"nobody:nosuchgroup\"" 2 '"user"' nosuchgroup

# A capability vigil itself does not hold cannot be kept: a usage error, not a silent drop.
WRAP=(setpriv --bounding-set -net_bind_service)
vig -- -u nobody --keep-caps net_bind_service -- "${PROG[@]}"
expect_error "--keep-caps net_bind_service when vigil's bounding set lacks it" 2 "--keep-caps" \
  net_bind_service
WRAP=()

# --- vigil not root: the child cannot change its ids ------------------------------------------
NONROOT=(setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups)
WRAP=("${NONROOT[@]}")
vig -- -u root -- "${PROG[@]}"
expect_error "vigil not root, -u root" 126 "setgroups" "Operation not permitted"
vig VIGIL_USER=root -- -- "${PROG[@]}"
expect_error "vigil not root, VIGIL_USER=root" 126 "setgroups" "Operation not permitted"
vig -- -u "$NOBODY_UID:0" -- "${PROG[@]}"
expect_error "vigil not root, -u $NOBODY_UID:0" 126 "Operation not permitted"
# Without --user a non-root vigil still runs its program, with --no-new-privs too.
vig -- --no-new-privs -- sh -c 'grep "^NoNewPrivs:" /proc/self/status; touch "$0"' "$MARK"
if [ "$RC" = 0 ] && [ -e "$MARK" ] && [ "$(tr -s '\t ' ' ' <<<"$OUT")" = "NoNewPrivs: 1" ]; then
  ok "vigil not root, --no-new-privs alone: the program runs with NoNewPrivs 1"
else
  not_ok "vigil not root, --no-new-privs alone: the program runs with NoNewPrivs 1"
  diag "exit $RC, started: $([ -e "$MARK" ] && echo yes || echo no), out: $OUT, err: $ERR"
fi
WRAP=()

# --- exec failures after the switch -----------------------------------------------------------
cat >"$TMP/rootonly.sh" <<EOF
#!/bin/sh
touch "$MARK"
EOF
chmod 700 "$TMP/rootonly.sh"
vig -- -u nobody -- "$TMP/rootonly.sh"
expect_error "-u nobody, a program only root may execute (mode 700)" 126 "$TMP/rootonly.sh"
vig -- -u nobody -- "$TMP/no-such-program"
expect_error "-u nobody, a missing program" 127 "$TMP/no-such-program"
# Control: root may run the same program.
vig -- -- "$TMP/rootonly.sh"
if [ "$RC" = 0 ] && [ -e "$MARK" ]; then
  ok "control: the mode-700 program runs as root"
else
  not_ok "control: the mode-700 program runs as root"
  diag "exit $RC, stderr: $ERR"
fi

done_testing
