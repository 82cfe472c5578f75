#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What the child runs as: its /proc/self/status (Uid, Gid, Groups, the five capability sets and
# NoNewPrivs) under --user, --keep-caps and --no-new-privs, from the command line, VIGIL_* and
# the JSON config, with vigil as PID 1 of a PID namespace (and once as a subreaper). Users with
# supplementary groups come from a fake /etc/passwd and /etc/group bind-mounted in a private
# mount namespace, so the host's user database is never touched.
# shellcheck source=privlib.sh
. "$(dirname "$0")/privlib.sh"
require_privs_env

plan 44

U=$NOBODY_UID G=$NOBODY_GID
NOBODY_IDS=$(want_ids "$U" "$G" "$G")
DROPPED=$(want_caps "$ZERO" "$ZERO" "$ZERO" "$HOST_BND" "$ZERO" 0)
NBS_ONLY=$(want_caps "$CAP_NET_BIND_SERVICE" "$CAP_NET_BIND_SERVICE" "$CAP_NET_BIND_SERVICE" \
  "$CAP_NET_BIND_SERVICE" "$CAP_NET_BIND_SERVICE" 0)
NBS_ONLY_NNP=${NBS_ONLY%nnp=0}nnp=1

# --- control: no privilege option changes nothing ---------------------------------------------
child_status pid1
check_status "no option: the child is root with vigil's capabilities" "$(want_ids 0 0 "")" \
  "$(want_caps "$HOST_INH" "$HOST_PRM" "$HOST_EFF" "$HOST_BND" "$ZERO" 0)"

# --- nobody, spelled four ways ----------------------------------------------------------------
child_status pid1 -u nobody
check_status "-u nobody" "$NOBODY_IDS" "$DROPPED"
child_status pid1 -u "$U:$G"
check_status "-u $U:$G" "$NOBODY_IDS" "$DROPPED"
child_status pid1 -u "nobody:$NOBODY_GROUP"
check_status "-u nobody:$NOBODY_GROUP" "$NOBODY_IDS" "$DROPPED"
child_status pid1 --user="$U"
check_status "--user=$U (a number with a passwd entry)" "$NOBODY_IDS" "$DROPPED"

# An explicit group replaces the membership list: the child has that one group only.
child_status pid1 -u nobody:0
check_status "-u nobody:0: gid 0, groups exactly 0" "$(want_ids "$U" 0 0)" "$DROPPED"

# A number without a passwd entry: gid 0 (docker run -u 4242), no supplementary groups but 0.
child_status pid1 -u 4242
check_status "-u 4242 (no passwd entry): uid 4242, gid 0" "$(want_ids 4242 0 0)" "$DROPPED"

# --- capabilities -----------------------------------------------------------------------------
child_status pid1 -u nobody --keep-caps net_bind_service
check_status "-u nobody --keep-caps net_bind_service: all five sets are exactly 0x400" \
  "$NOBODY_IDS" "$NBS_ONLY"

child_status pid1 --keep-caps CAP_CHOWN,cap_net_raw
check_status "--keep-caps CAP_CHOWN,cap_net_raw as root: 0x2001 everywhere but ambient" \
  "$(want_ids 0 0 "")" \
  "$(want_caps "$CAP_CHOWN_NET_RAW" "$CAP_CHOWN_NET_RAW" "$CAP_CHOWN_NET_RAW" "$CAP_CHOWN_NET_RAW" "$ZERO" 0)"

child_status pid1 --keep-caps ''
check_status "--keep-caps '' as root: an empty list keeps nothing, bounding set included" \
  "$(want_ids 0 0 "")" "$(want_caps "$ZERO" "$ZERO" "$ZERO" "$ZERO" "$ZERO" 0)"

child_status pid1 --no-new-privs
check_status "--no-new-privs alone: a root child with NoNewPrivs 1" "$(want_ids 0 0 "")" \
  "$(want_caps "$HOST_INH" "$HOST_PRM" "$HOST_EFF" "$HOST_BND" "$ZERO" 1)"

child_status pid1 -u nobody --keep-caps Net_Bind_Service --no-new-privs
check_status "-u nobody --keep-caps Net_Bind_Service --no-new-privs: ambient survives NNP" \
  "$NOBODY_IDS" "$NBS_ONLY_NNP"

# Ambient capabilities survive more than one execve (sh, then grep).
RC=0
ST=$(run_vigil pid1 15 -u nobody --keep-caps net_bind_service -- \
  sh -c 'exec "$@"' sh "${STATUS_CMD[@]}" 2>"$TMP/cs.err") || RC=$?
ERR=$(cat "$TMP/cs.err")
check_status "--keep-caps through sh -c 'exec ...': still 0x400 after a second exec" \
  "$NOBODY_IDS" "$NBS_ONLY"

child_status subreaper -u nobody --keep-caps net_bind_service
check_status "subreaper: -u nobody --keep-caps net_bind_service" "$NOBODY_IDS" "$NBS_ONLY"

# --- the same from the environment and the JSON config ----------------------------------------
RC=0
ST=$(VIGIL_USER=nobody VIGIL_KEEP_CAPS=cap_net_bind_service VIGIL_NO_NEW_PRIVS=1 \
  run_vigil pid1 15 -- "${STATUS_CMD[@]}" 2>"$TMP/cs.err") || RC=$?
ERR=$(cat "$TMP/cs.err")
check_status "VIGIL_USER, VIGIL_KEEP_CAPS, VIGIL_NO_NEW_PRIVS" "$NOBODY_IDS" "$NBS_ONLY_NNP"

echo '{"user": "nobody", "keep-caps": "net_bind_service", "no-new-privs": true}' >"$TMP/c.json"
child_status pid1 --config "$TMP/c.json"
check_status "JSON config user, keep-caps, no-new-privs" "$NOBODY_IDS" "$NBS_ONLY_NNP"

# The command line wins over the environment.
RC=0
ST=$(VIGIL_USER=nobody run_vigil pid1 15 -u 4242 -- "${STATUS_CMD[@]}" 2>"$TMP/cs.err") || RC=$?
ERR=$(cat "$TMP/cs.err")
check_status "-u 4242 beats VIGIL_USER=nobody" "$(want_ids 4242 0 0)" "$DROPPED"

# --- supplementary groups from a fake /etc/group ----------------------------------------------
fake_etc
fake_status() {
  RC=0
  ST=$(run_fake_etc 15 "$@" -- "${STATUS_CMD[@]}" 2>"$TMP/cs.err") || RC=$?
  ERR=$(cat "$TMP/cs.err")
}
fake_status -u vtest
check_status "fake db: -u vtest: primary 4100 plus extra1 and extra2, not notmine" \
  "$(want_ids 4100 4100 "4100 4201 4202")" "$DROPPED"
fake_status -u 4100
check_status "fake db: -u 4100: a number with an entry gets the same groups" \
  "$(want_ids 4100 4100 "4100 4201 4202")" "$DROPPED"
fake_status -u vtest:extra2
check_status "fake db: -u vtest:extra2: that group only" "$(want_ids 4100 4202 4202)" "$DROPPED"
fake_status -u vtest --keep-caps net_bind_service
check_status "fake db: -u vtest --keep-caps net_bind_service" \
  "$(want_ids 4100 4100 "4100 4201 4202")" "$NBS_ONLY"
fake_status -u dup
check_status "fake db: a name listed twice: the first entry wins" "$(want_ids 4400 4400 4400)" \
  "$DROPPED"

done_testing
