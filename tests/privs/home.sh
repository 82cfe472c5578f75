#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# HOME under --user: set to the user's passwd home when the caller left it unset or empty, or
# when it is still vigil's own passwd home (/root: Docker's default for root); any other value
# the caller chose is kept. Exactly one HOME reaches the child. vigil is PID 1 of a PID
# namespace; users with odd homes come from a fake /etc/passwd in a private mount namespace.
# shellcheck source=privlib.sh
. "$(dirname "$0")/privlib.sh"
require_privs_env

plan 17

# home_of [VAR=VALUE | -VAR]... -- [VIGIL-ARGS...]: runs vigil (as PID 1, or with the fake user
# database when FAKE=1) with those variables set (VAR=VALUE) or removed (-VAR) and `env` as the
# program; sets HOMES (every HOME=... line the child saw, space separated) and RC.
FAKE=0
home_of() {
  local changes=()
  while [ "$1" != -- ]; do
    changes+=("$1")
    shift
  done
  shift
  local runner=(run_vigil pid1 15)
  [ "$FAKE" = 1 ] && runner=(run_fake_etc 15)
  RC=0
  local out
  out=$(
    for c in "${changes[@]}"; do
      case $c in
        -*) unset "${c#-}" ;;
        *) export "${c?}" ;;
      esac
    done
    "${runner[@]}" "$@" -- env 2>"$TMP/home.err"
  ) || RC=$?
  HOMES=$(grep '^HOME=' <<<"$out" | tr '\n' ' ')
  HOMES=${HOMES% }
  [ "$RC" = 0 ] || diag "exit $RC: $(cat "$TMP/home.err")"
}

NH="HOME=$NOBODY_HOME"

home_of -HOME -- -u nobody
is "$HOMES" "$NH" "HOME unset, -u nobody: HOME=$NOBODY_HOME (nobody's passwd home)"
home_of HOME= -- -u nobody
is "$HOMES" "$NH" "HOME empty, -u nobody: HOME=$NOBODY_HOME"
home_of HOME=/root -- -u nobody
is "$HOMES" "$NH" "HOME=/root (vigil's own home), -u nobody: replaced by $NOBODY_HOME"
home_of HOME=/data -- -u nobody
is "$HOMES" "HOME=/data" "HOME=/data, -u nobody: kept"
home_of HOME=/data -- -u "$NOBODY_UID:$NOBODY_GID"
is "$HOMES" "HOME=/data" "HOME=/data, -u $NOBODY_UID:$NOBODY_GID: kept"
home_of -HOME -- -u 4242
is "$HOMES" "HOME=/" "HOME unset, -u 4242 (no passwd entry): HOME=/"
home_of HOME=/root -- -u 4242
is "$HOMES" "HOME=/" "HOME=/root, -u 4242 (no passwd entry): HOME=/"
home_of HOME=/root VIGIL_USER=nobody --
is "$HOMES" "$NH" "HOME=/root, VIGIL_USER=nobody: HOME=$NOBODY_HOME"
home_of HOME=/root -- -u root
is "$HOMES" "HOME=/root" "HOME=/root, -u root: HOME=/root"
home_of HOME=/data --
is "$HOMES" "HOME=/data" "no --user: HOME=/data untouched"
home_of -HOME --
is "$HOMES" "" "no --user: an unset HOME stays unset"

# Odd homes from a fake user database.
fake_etc
FAKE=1
home_of -HOME -- -u vtest
is "$HOMES" "HOME=/home/vtest" "fake db: HOME unset, -u vtest: HOME=/home/vtest"
home_of HOME=/root -- -u vtest:extra1
is "$HOMES" "HOME=/home/vtest" "fake db: HOME=/root, -u vtest:extra1: HOME=/home/vtest"
home_of HOME=/root -- -u 4100
is "$HOMES" "HOME=/home/vtest" "fake db: HOME=/root, -u 4100: HOME=/home/vtest"
home_of HOME=/srv -- -u vtest
is "$HOMES" "HOME=/srv" "fake db: HOME=/srv, -u vtest: kept"
home_of HOME=/root -- -u vnohome
is "$HOMES" "HOME=/" "fake db: empty home field, HOME=/root: HOME=/"

# vigil's own home is whatever its passwd entry says, not a hard-wired /root.
mkdir -p "$TMP/etc2"
sed 's|^root:x:0:0:root:/root:|root:x:0:0:root:/var/roothome:|' "$TMP/etc/passwd" >"$TMP/etc2/passwd"
cp "$TMP/etc/group" "$TMP/etc2/group"
chmod 644 "$TMP/etc2/passwd" "$TMP/etc2/group"
FAKE_ETC=$TMP/etc2
home_of HOME=/var/roothome -- -u vtest
is "$HOMES" "HOME=/home/vtest" "fake db, root's home /var/roothome: HOME=/var/roothome, -u vtest: replaced"

done_testing
