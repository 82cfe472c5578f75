# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034
# Shared helpers of the privilege tests (--user, --keep-caps, --no-new-privs); sourced by every
# script in tests/privs. Builds on the integration TAP library (plan/ok/is/check/like,
# run_vigil/start_vigil/finish_vigil, $TMP removed on exit, $H = helper programs).
#
# The host's /etc/passwd and /etc/group are never modified: a user with supplementary groups
# comes from fake copies bind-mounted over them inside a private mount namespace (fake_etc,
# run_fake_etc).

PRIVS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$PRIVS_DIR/../integration/lib.sh"

# require_privs_env: root (vigil must be root to change the child's ids) and unshare.
require_privs_env() {
  require_root
  if [ -z "$NOBODY_UID" ] || [ -z "$NOBODY_GROUP" ]; then
    echo "Bail out! no user 'nobody' in /etc/passwd or no group of its gid in /etc/group"
    exit 1
  fi
}

# The host's "nobody" as /etc/passwd describes it (vigil reads the same file), and the name of
# its primary group ("nogroup" on Debian, "nobody" on Fedora and Alpine).
_pw=$(awk -F: '$1 == "nobody" { print $3 ":" $4 ":" $6; exit }' /etc/passwd 2>/dev/null)
NOBODY_UID=${_pw%%:*}
_pw=${_pw#*:}
NOBODY_GID=${_pw%%:*}
NOBODY_HOME=${_pw#*:}
[ -n "$NOBODY_HOME" ] || NOBODY_HOME=/
NOBODY_GROUP=$(awk -F: -v g="$NOBODY_GID" '$3 == g { print $1; exit }' /etc/group 2>/dev/null)
unset _pw

# The capability sets of this (root) shell: what vigil itself holds, and hence what a root child
# gets when nothing is dropped.
_self_cap() { awk -v k="$1:" '$1 == k { print $2 }' /proc/self/status; }
HOST_INH=$(_self_cap CapInh)
HOST_PRM=$(_self_cap CapPrm)
HOST_EFF=$(_self_cap CapEff)
HOST_BND=$(_self_cap CapBnd)
ZERO=0000000000000000
CAP_NET_BIND_SERVICE=0000000000000400 # bit 10
CAP_CHOWN_NET_RAW=0000000000002001    # bits 0 and 13

# A directory the unprivileged children may write to (their results, markers, signal logs).
W=$TMP/w
mkdir -p "$W"
chown "${NOBODY_UID:-65534}:${NOBODY_GID:-65534}" "$W" 2>/dev/null
chmod 1777 "$W"

# ids TEXT: Uid, Gid and Groups of a /proc/PID/status text, on one line.
ids() {
  awk '$1 == "Uid:" { u = $2 "/" $3 "/" $4 "/" $5 }
       $1 == "Gid:" { g = $2 "/" $3 "/" $4 "/" $5 }
       $1 == "Groups:" { $1 = ""; sub(/^ +/, ""); sub(/ +$/, ""); gr = $0 }
       END { printf "uid=%s gid=%s groups=%s\n", u, g, gr }' <<<"$1"
}

# caps TEXT: the five capability sets and NoNewPrivs of a /proc/PID/status text, on one line.
caps() {
  awk '$1 ~ /^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):$/ { v[$1] = $2 }
       END { printf "inh=%s prm=%s eff=%s bnd=%s amb=%s nnp=%s\n", v["CapInh:"], v["CapPrm:"],
             v["CapEff:"], v["CapBnd:"], v["CapAmb:"], v["NoNewPrivs:"] }' <<<"$1"
}

# want_ids UID GID GROUPS: the ids line expected for a process with real = effective = saved =
# filesystem ids.
want_ids() { echo "uid=$1/$1/$1/$1 gid=$2/$2/$2/$2 groups=$3"; }

# want_caps INH PRM EFF BND AMB NNP
want_caps() { echo "inh=$1 prm=$2 eff=$3 bnd=$4 amb=$5 nnp=$6"; }

# fake_etc: writes $TMP/etc/passwd and $TMP/etc/group, the user database run_fake_etc mounts.
#   vtest    4100:4100  home /home/vtest, also in extra1 (4201) and extra2 (4202), not in
#                       notmine (4203, whose member list only holds names that start like vtest)
#   vnohome  4300:4300  empty home field
#   dup      4400 first, then again as 4401 (the first entry wins)
fake_etc() {
  mkdir -p "$TMP/etc"
  cat >"$TMP/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
vtest:x:4100:4100:vigil test user:/home/vtest:/bin/sh
vnohome:x:4300:4300:no home::/bin/sh
dup:x:4400:4400::/first:/bin/sh
dup:x:4401:4401::/second:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat >"$TMP/etc/group" <<EOF
root:x:0:
vtest:x:4100:
extra1:x:4201:vtest
extra2:x:4202:other,vtest,third
notmine:x:4203:vtestx,xvtest,other
vnohome:x:4300:
dup:x:4400:
nogroup:x:65534:
EOF
  chmod 644 "$TMP/etc/passwd" "$TMP/etc/group"
}

# run_fake_etc SECONDS [VIGIL-ARGS...]: vigil as PID 1 of a new PID namespace, in a private
# mount namespace where $FAKE_ETC/passwd and $FAKE_ETC/group are bind-mounted over the real ones.
FAKE_ETC=$TMP/etc
run_fake_etc() {
  local limit=$1
  shift
  # shellcheck disable=SC2016
  timeout -k 3 "$limit" unshare --mount --propagation private --pid --fork --mount-proc -- \
    sh -c 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group || exit 99
           shift 2; exec "$@"' sh "$FAKE_ETC/passwd" "$FAKE_ETC/group" "$TEST_VIGIL" "$@"
}

# STATUS_CMD: a child that prints its own /proc/self/status (grep is the child itself).
STATUS_CMD=(grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status)

# child_status MODE [VIGIL-ARGS...]: runs vigil in MODE with the given options and STATUS_CMD as
# its program; sets ST (the child's status lines), RC and ERR (vigil's stderr).
child_status() {
  local mode=$1
  shift
  RC=0
  ST=$(run_vigil "$mode" 15 "$@" -- "${STATUS_CMD[@]}" 2>"$TMP/cs.err") || RC=$?
  ERR=$(cat "$TMP/cs.err")
}

# check_status DESC WANT-IDS WANT-CAPS: after child_status, checks exit 0 plus both lines.
check_status() {
  local desc=$1 got_ids got_caps
  got_ids=$(ids "$ST")
  got_caps=$(caps "$ST")
  if [ "$RC" = 0 ] && [ "$got_ids" = "$2" ]; then
    ok "$desc: ids"
  else
    not_ok "$desc: ids"
    diag "exit $RC; stderr: $ERR"
    diag "expected: '$2'"
    diag "     got: '$got_ids'"
  fi
  if [ "$RC" = 0 ] && [ "$got_caps" = "$3" ]; then
    ok "$desc: capabilities and no_new_privs"
  else
    not_ok "$desc: capabilities and no_new_privs"
    diag "exit $RC; stderr: $ERR"
    diag "expected: '$3'"
    diag "     got: '$got_caps'"
  fi
}
