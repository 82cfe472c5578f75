#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# --keep-caps net_bind_service really works: a non-root child binds 127.0.0.1:80, and without
# the capability the same bind fails with EACCES. Each run is in a fresh network namespace
# (loopback up, ip_unprivileged_port_start 1024, the kernel default) so that nothing on the
# host's port 80 interferes; vigil is PID 1 of a PID namespace unless said otherwise.
# shellcheck source=privlib.sh
. "$(dirname "$0")/privlib.sh"
require_privs_env

plan 10

PY=/usr/bin/python3
cat >"$TMP/bind.py" <<'EOF'
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", 80))
    s.listen(1)
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(1)
print("bound")
EOF
chmod 644 "$TMP/bind.py"

# bind80 MODE [VIGIL-ARGS...]: runs vigil in MODE (pid1 or subreaper) inside a new network
# namespace with bind.py as its program; prints "<bound|ERRNO-NAME> rc=<vigil's exit>".
bind80() {
  local mode=$1
  shift
  local pidns=(--pid --fork --mount-proc)
  [ "$mode" = subreaper ] && pidns=()
  local out rc=0
  # shellcheck disable=SC2016
  out=$(timeout -k 3 15 unshare --net "${pidns[@]}" -- sh -c '
          ip link set lo up || exit 98
          echo 1024 >/proc/sys/net/ipv4/ip_unprivileged_port_start || exit 98
          exec "$@"' sh "$TEST_VIGIL" "$@" 2>"$TMP/bind.err") || rc=$?
  [ "$rc" = 98 ] && diag "could not set up the network namespace: $(cat "$TMP/bind.err")"
  [ -s "$TMP/bind.err" ] && diag "stderr: $(cat "$TMP/bind.err")"
  echo "${out:-<no output>} rc=$rc"
}

# bind_case DESCRIPTION EXPECTED MODE [VIGIL-ARGS...] -- PROGRAM...
bind_case() {
  local desc=$1 want=$2
  shift 2
  if [ ! -x "$PY" ]; then
    skip "$desc ($PY not found)"
    return
  fi
  is "$(bind80 "$@")" "$want" "$desc"
}

bind_case "control: a root child binds port 80" "bound rc=0" \
  pid1 -- "$PY" "$TMP/bind.py"
bind_case "-u nobody: bind to port 80 fails with EACCES" "EACCES rc=1" \
  pid1 -u nobody -- "$PY" "$TMP/bind.py"
bind_case "-u nobody --keep-caps net_bind_service: binds port 80" "bound rc=0" \
  pid1 -u nobody --keep-caps net_bind_service -- "$PY" "$TMP/bind.py"
bind_case "-u nobody --keep-caps chown (another capability): EACCES" "EACCES rc=1" \
  pid1 -u nobody --keep-caps chown -- "$PY" "$TMP/bind.py"
bind_case "--keep-caps chown as root: root without the capability gets EACCES" "EACCES rc=1" \
  pid1 --keep-caps chown -- "$PY" "$TMP/bind.py"
bind_case "-u nobody --keep-caps CAP_NET_BIND_SERVICE --no-new-privs: binds port 80" "bound rc=0" \
  pid1 -u nobody --keep-caps CAP_NET_BIND_SERVICE --no-new-privs -- "$PY" "$TMP/bind.py"
bind_case "-u nobody --keep-caps net_bind_service through sh -c: the grandchild binds" "bound rc=0" \
  pid1 -u nobody --keep-caps net_bind_service -- sh -c "\"$PY\" \"$TMP/bind.py\""
bind_case "subreaper: -u nobody --keep-caps net_bind_service: binds port 80" "bound rc=0" \
  subreaper -u nobody --keep-caps net_bind_service -- "$PY" "$TMP/bind.py"
bind_case "subreaper: -u nobody: EACCES" "EACCES rc=1" \
  subreaper -u nobody -- "$PY" "$TMP/bind.py"

if [ -x "$PY" ]; then
  out=$(VIGIL_USER=nobody VIGIL_KEEP_CAPS=cap_net_bind_service bind80 pid1 -- "$PY" "$TMP/bind.py")
  is "$out" "bound rc=0" "VIGIL_USER=nobody VIGIL_KEEP_CAPS=cap_net_bind_service: binds port 80"
else
  skip "VIGIL_USER, VIGIL_KEEP_CAPS: bind ($PY not found)"
fi

done_testing
