#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# --no-new-privs: a setuid-root program started by a non-root child gains nothing (its euid
# stays the user's), and neither does a program with file capabilities; without the option both
# work as usual, which proves the test binaries themselves are sound. Also: --keep-caps shrinks
# the bounding set, so even a setuid-root program run by the child gets only the kept
# capabilities. vigil is PID 1 of a PID namespace.
# shellcheck source=privlib.sh
. "$(dirname "$0")/privlib.sh"
require_privs_env

plan 10

command -v cc >/dev/null || command -v gcc >/dev/null || { echo "Bail out! needs a C compiler"; exit 1; }
CC=$(command -v cc || command -v gcc)

# A directory for the setuid binary on a file system mounted without nosuid, that nobody can
# reach (every component of the path searchable); permissions above it are never changed.
reachable() { setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups test -x "$1"; }
SUID_DIR=""
for base in "$TMP" /var/tmp /work; do
  [ -d "$base" ] || continue
  opts=$(findmnt -no OPTIONS --target "$base" 2>/dev/null)
  case ",$opts," in *,nosuid,*) continue ;; esac
  d=$(mktemp -d "$base/vigil-privs.XXXXXX") || continue
  chmod 755 "$d"
  if reachable "$d"; then
    SUID_DIR=$d
    [ "$base" = "$TMP" ] || trap '_cleanup; rm -rf "$SUID_DIR"' EXIT
    break
  fi
  rm -rf "$d"
done
[ -n "$SUID_DIR" ] || { echo "Bail out! no nobody-reachable directory without nosuid"; exit 1; }
diag "setuid helper in $SUID_DIR ($(findmnt -no TARGET,OPTIONS --target "$SUID_DIR"))"

# showid: prints "euid=N eff=<CapEff>" and exits 0.
cat >"$SUID_DIR/showid.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
  char line[256], eff[64] = "?";
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "CapEff:", 7) == 0) sscanf(line + 7, "%63s", eff);
  printf("euid=%d eff=%s\n", (int)geteuid(), eff);
  return 0;
}
EOF
"$CC" -O2 -o "$SUID_DIR/showid" "$SUID_DIR/showid.c" || { echo "Bail out! cannot compile showid"; exit 1; }
chown 0:0 "$SUID_DIR/showid"
cp "$SUID_DIR/showid" "$SUID_DIR/showcap"
chmod 4755 "$SUID_DIR/showid"
chmod 755 "$SUID_DIR/showcap"
SUID=$SUID_DIR/showid

U=$NOBODY_UID

# runid [VAR=VALUE...] -- VIGIL-ARGS...: vigil as PID 1; prints the program's output and
# vigil's exit status.
runid() {
  local out rc=0
  out=$(
    while [ "$1" != -- ]; do
      export "${1?}"
      shift
    done
    shift
    run_vigil pid1 15 "$@" 2>"$TMP/nnp.err"
  ) || rc=$?
  [ -s "$TMP/nnp.err" ] && diag "stderr: $(cat "$TMP/nnp.err")"
  echo "${out:-<no output>} rc=$rc"
}

is "$(runid -- -u nobody -- "$SUID")" "euid=0 eff=$HOST_BND rc=0" \
  "without --no-new-privs the setuid-root helper run by nobody gets euid 0 and every capability"
is "$(runid -- -u nobody --no-new-privs -- "$SUID")" "euid=$U eff=$ZERO rc=0" \
  "-u nobody --no-new-privs: the setuid-root helper keeps euid $U, no capability"
is "$(runid -- -u nobody --no-new-privs -- sh -c "\"$SUID\"; exit 0")" "euid=$U eff=$ZERO rc=0" \
  "-u nobody --no-new-privs: a grandchild (forked by sh) gains nothing either"
is "$(runid VIGIL_NO_NEW_PRIVS=1 -- -u nobody -- "$SUID")" "euid=$U eff=$ZERO rc=0" \
  "VIGIL_NO_NEW_PRIVS=1 -u nobody: euid $U"
echo '{"user": "nobody", "no-new-privs": true}' >"$TMP/nnp.json"
is "$(runid -- --config "$TMP/nnp.json" -- "$SUID")" "euid=$U eff=$ZERO rc=0" \
  "JSON config user nobody, no-new-privs true: euid $U"
echo '{"user": "nobody", "no-new-privs": false}' >"$TMP/nnp.json"
is "$(runid -- --config "$TMP/nnp.json" -- "$SUID")" "euid=0 eff=$HOST_BND rc=0" \
  "JSON config no-new-privs false: the setuid helper works (euid 0)"

# --keep-caps empties the bounding set of everything else: setuid root gives euid 0 but only
# the kept capability.
is "$(runid -- -u nobody --keep-caps net_bind_service -- "$SUID")" \
  "euid=0 eff=$CAP_NET_BIND_SERVICE rc=0" \
  "-u nobody --keep-caps net_bind_service: setuid root gets euid 0 but only cap_net_bind_service"
is "$(runid -- -u nobody --keep-caps net_bind_service --no-new-privs -- "$SUID")" \
  "euid=$U eff=$CAP_NET_BIND_SERVICE rc=0" \
  "-u nobody --keep-caps net_bind_service --no-new-privs: euid $U, the ambient capability only"

# File capabilities (security.capability) are also ignored under no_new_privs.
if command -v setcap >/dev/null && setcap cap_net_raw+ep "$SUID_DIR/showcap" 2>/dev/null &&
  getcap "$SUID_DIR/showcap" 2>/dev/null | grep -q net_raw; then
  is "$(runid -- -u nobody -- "$SUID_DIR/showcap")" "euid=$U eff=0000000000002000 rc=0" \
    "without --no-new-privs a file-capability helper run by nobody gets cap_net_raw"
  is "$(runid -- -u nobody --no-new-privs -- "$SUID_DIR/showcap")" "euid=$U eff=$ZERO rc=0" \
    "-u nobody --no-new-privs: the file capability is not granted"
else
  skip "file capabilities: setcap unavailable or unsupported on $SUID_DIR"
  skip "file capabilities under --no-new-privs: setcap unavailable or unsupported"
fi

done_testing
