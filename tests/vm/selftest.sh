#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the VM harness itself (TAP): a shell runs as PID 1 in a cgroup with
# memory.max=256M, starts the leaker, and watches memory.current grow until the
# kernel OOM killer stops it. That shows the cgroup v2 memory controller is real.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"

if ! command -v gcc >/dev/null; then
  echo "1..0 # SKIP needs gcc for the leaker"
  exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null && [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs qemu, or root so that fetch-kernel.sh can install it"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-vm-selftest.XXXXXX")"
trap 'rm -rf "$work"' EXIT

gcc -std=c11 -static -O2 -o "$work/leaker" "$top/tests/helpers/leaker.c"

cat >"$work/proof.sh" <<'EOF'
cg=/sys/fs/cgroup/vigil-test
read -r pid _ </proc/self/stat
echo "proof: pid=$pid cgroup=$(cat /proc/self/cgroup) memory.max=$(cat $cg/memory.max)"
leaker --rate 64 --quiet &
child=$!
# A finished child stays a zombie until waited for, so check its state.
while grep -q '^State:[[:space:]]*[RSD]' /proc/$child/status 2>/dev/null; do
  echo "proof: memory.current=$(cat $cg/memory.current)"
  sleep 0.5
done
wait $child
status=$?
oom_kill=$(sed -n 's/^oom_kill //p' $cg/memory.events)
echo "proof: leaker status=$status"
echo "proof: oom_kill=$oom_kill"
echo "proof: memory.peak=$(cat $cg/memory.peak 2>/dev/null || echo n/a)"
[ "$status" = 137 ] && [ "$oom_kill" -ge 1 ]
EOF

echo "1..5"
n=0
failed=0
check() {
  n=$((n + 1))
  if eval "$2"; then
    echo "ok $n - $1"
  else
    echo "not ok $n - $1"
    failed=$((failed + 1))
  fi
}

set +e
"$here/run-vm.sh" --quiet --log "$work/console.log" --timeout 90 --mem-max 256M \
  --file "$work/leaker:/bin/leaker" --file "$work/proof.sh:/proof.sh" -- sh /proof.sh \
  >"$work/summary"
rc=$?
set -e
sed 's/^/# /' "$work/summary"
grep -E '^proof: |Killed process|out of memory' "$work/console.log" | sed 's/^/# /'

check "the command runs as PID 1 in /vigil-test" \
  "grep -q '^proof: pid=1 cgroup=0::/vigil-test memory.max=268435456$' '$work/console.log'"
check "memory.current grows past 128 MiB" \
  "awk -F= '/^proof: memory.current=/ && \$2 > 134217728 { f = 1 } END { exit !f }' '$work/console.log'"
check "the kernel OOM killer kills the leaker (SIGKILL, oom_kill >= 1)" \
  "grep -q '^proof: leaker status=137$' '$work/console.log' && grep -Eq '^proof: oom_kill=[1-9]' '$work/console.log'"
check "PID 1's exit code is reported" "[[ $rc -eq 0 ]] && grep -qx 'VM_EXIT=0' '$work/summary'"

set +e
"$here/run-vm.sh" --quiet --wrap --collect /tmp/out --out "$work/out" -- \
  sh -c 'echo collected >/tmp/out; exit 3' >"$work/summary2"
rc=$?
set -e
check "wrap mode returns the exit code and collects files" \
  "[[ $rc -eq 3 ]] && grep -qx 'VM_EXIT=3' '$work/summary2' && grep -qx collected '$work/out/out'"
[[ $failed -eq 0 ]]
