#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Race against the kernel OOM killer on a real cgroup v2 kernel (tests/vm/run-vm.sh, qemu).
#
#   bench/vm-race.sh [--trials N] [--quick] [--no-scaled] [--cpus N]
#
# In one boot with memory.max = 256M (run-vm.sh --wrap; bench/vm-race-guest.sh runs the trials
# as a child of /init inside the cgroup), each trial is
#
#   vigil --log-format json -v --mem-hard-limit 80% --mem-interval 1s [--mem-adaptive=false] \
#         --mem-grace 5s -- leaker --rate R --ticks 1000 --on-term exit=0 --quiet
#
# for R = 100, 500, 1000 MiB/s, adaptive sampling and a fixed 1 s interval, N trials each
# (default 10), interleaved. A trial is "graceful first" when vigil's SIGTERM (mem_kill) came
# with no kernel_oom event before it and the leaker then "exited 0"; "OOM first" when the kernel
# killed the leaker before any SIGTERM; "late" when the SIGTERM came first but the kernel still
# killed the leaker. The leak rate actually achieved is measured from the events (software
# emulation cannot reach the higher nominal rates). Unless --no-scaled, three more boots run
# the race "time-scaled": a 100 MiB/s leak under memory.max = 256M x 100/R, which gives the same
# time to the hard limit and the same headroom in time as R MiB/s under 256M (R = 500, 1000),
# and the 1000 case once more with the leak starting 3 s after vigil. Figures only, never
# pass/fail.
#
# Environment: BENCH_VIGIL=/path/to/vigil uses that binary instead of build/vigil;
# BENCH_VIGIL_EXTRA adds vigil options to every trial; BENCH_GUEST_ENV="NAME=VALUE ..." sets
# environment variables for the guest script and so for vigil (for an experimental build).
# Needs root (run-vm.sh: mknod).
# Writes bench/out/vm-race.md, bench/out/raw-vm-race.tsv and the consoles bench/out/vm-race-*.log.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmdline="bench/vm-race.sh${*:+ $*}"
[[ -n "${BENCH_VIGIL:-}" ]] && cmdline="BENCH_VIGIL=${BENCH_VIGIL} ${cmdline}"
[[ -n "${BENCH_VIGIL_EXTRA:-}" ]] && cmdline="BENCH_VIGIL_EXTRA='${BENCH_VIGIL_EXTRA}' ${cmdline}"
[[ -n "${BENCH_GUEST_ENV:-}" ]] && cmdline="BENCH_GUEST_ENV='${BENCH_GUEST_ENV}' ${cmdline}"
guest_env=()
for e in ${BENCH_GUEST_ENV:-}; do guest_env+=(--env "$e"); done

trials=10
scaled=1
cpus=1
usage() {
  sed -n '3,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}
need_value() { [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || { echo "vm-race.sh: $1 needs a positive number" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --trials) need_value "$@"; trials=$2; shift 2 ;;
    --quick) trials=2; shift ;;
    --no-scaled) scaled=0; shift ;;
    --cpus) need_value "$@"; cpus=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "vm-race.sh: unknown argument: $1" >&2; usage 2 ;;
  esac
done

log() { printf 'vm-race.sh: %s\n' "$*" >&2; }
[[ $(id -u) == 0 ]] || { echo "vm-race.sh: must run as root (run-vm.sh needs mknod)" >&2; exit 1; }
for tool in gcc python3; do
  command -v "$tool" >/dev/null || { echo "vm-race.sh: needs $tool" >&2; exit 1; }
done

vigil_src=${BENCH_VIGIL:-$root/build/vigil}
if [[ -z "${BENCH_VIGIL:-}" && ! -x "$vigil_src" ]]; then
  log "build/vigil missing; building it"
  (cd "$root" && { [[ -d build ]] || meson setup build -Dtests=false; } && meson compile -C build) >&2
fi
[[ -x "$vigil_src" ]] || { echo "vm-race.sh: $vigil_src is not an executable" >&2; exit 1; }

tmp=$(mktemp -d /tmp/vigil-vmrace.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
cp "$vigil_src" "$tmp/vigil"   # a private copy: a rebuild during the run cannot mix binaries
gcc -std=c11 -static -O2 -o "$tmp/leaker" "$root/tests/helpers/leaker.c"

out=$root/bench/out
mkdir -p "$out"
"$root/tests/vm/fetch-kernel.sh" >"$tmp/fetch.txt" 2>&1 || { cat "$tmp/fetch.txt" >&2; exit 1; }

cpu_busy() {  # percent of CPU time not idle over one second
  local a b total=0 i
  read -ra a </proc/stat; sleep 1; read -ra b </proc/stat
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  local idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $((total > 0 ? 100 * (total - idle) / total : 0))
}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
busy_start=$(cpu_busy)
started=$SECONDS

# boot LABEL MEM_MAX RATES [LEAK_DELAY]: one VM, TRIALS rounds of every (rate, mode).
boot() {
  local label=$1 mem_max=$2 rates=$3 delay=${4:-}
  local n_trials=$((trials * $(wc -w <<<"$rates") * 2))
  local per_trial=$((8 + ${delay:-0}))
  log "boot $label: memory.max=$mem_max, rates '$rates' MiB/s, $n_trials trials"
  local t0=$SECONDS rc=0
  "$root/tests/vm/run-vm.sh" --quiet --wrap --mem-max "$mem_max" --cpus "$cpus" \
    --timeout $((60 + n_trials * per_trial)) --log "$out/vm-race-$label.log" \
    --file "$tmp/vigil:/sbin/vigil" --file "$tmp/leaker:/bin/leaker" \
    --file "$root/bench/vm-race-guest.sh:/bin/vm-race-guest.sh" \
    --env "TRIALS=$trials" --env "RATES=$rates" --env "LABEL=$label" \
    --env "EXTRA_ARGS=${BENCH_VIGIL_EXTRA:-}" ${delay:+--env "LEAK_DELAY=$delay"} "${guest_env[@]}" \
    -- /bin/vm-race-guest.sh >"$tmp/$label.out" 2>&1 || rc=$?
  if ! grep -q '^VM_EXIT=0' "$tmp/$label.out" ||
    ! grep -q "^RACE_GUEST_DONE label=$label" "$out/vm-race-$label.log"; then
    log "boot $label failed (rc $rc):"
    tail -20 "$tmp/$label.out" >&2
    tail -20 "$out/vm-race-$label.log" >&2
    exit 1
  fi
  log "boot $label: $((SECONDS - t0)) s ($(sed -n 's/^VM_BOOT_SECONDS=//p' "$tmp/$label.out") s to boot)"
}

boot main 256M "100 500 1000"
if [[ $scaled == 1 ]]; then
  # 256 MiB x 100/500 and x 100/1000, in KiB.
  boot eq500 52429K 100
  boot eq1000 26214K 100
  # The same 1 GiB/s-equivalent leak, starting 3 s after vigil: the sampler has settled at
  # --mem-interval by then, as it would in a program that runs fine for a while, then leaks.
  boot late1000 26214K 100 3
fi
elapsed=$((SECONDS - started))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

logs=("$out/vm-race-main.log")
[[ $scaled == 1 ]] && logs+=("$out/vm-race-eq500.log" "$out/vm-race-eq1000.log" "$out/vm-race-late1000.log")
kernel_guest=$(sed -n 's/^VIGIL_VM_READY kernel=\([^ ]*\).*/\1/p' "${logs[0]}" | head -1)

python3 - "$out/raw-vm-race.tsv" "$out/vm-race.md" "${logs[@]}" <<EOF
import json, re, statistics, sys
from datetime import datetime

raw_path, md_path, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
MiB = 1 << 20

def ts(e):
    return datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()

trials = []
for path in logs:
    cur = None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("TRIAL_BEGIN "):
            cur = dict(kv.split("=", 1) for kv in line.split()[1:])
            cur["events"] = []
        elif line.startswith("TRIAL_END ") and cur is not None:
            cur.update(dict(kv.split("=", 1) for kv in line.split()[1:]))
            trials.append(cur)
            cur = None
        elif cur is not None and line.startswith("{"):
            try:
                cur["events"].append(json.loads(line))
            except ValueError:
                cur.setdefault("bad_lines", 0)
                cur["bad_lines"] = cur["bad_lines"] + 1

def classify(t):
    ev = t["events"]
    idx = {}
    for i, e in enumerate(ev):
        name = e.get("event")
        if name == "mem_kill" and e.get("signal") != "SIGTERM":
            name = "mem_kill_other"
        idx.setdefault(name, i)
    status = next((e.get("child_status") for e in ev if e.get("event") == "exit"), None)
    armed = next((e for e in ev if e.get("event") == "mem_armed"), {})
    start = next((e for e in ev if e.get("event") == "start"), None)
    term, oom = idx.get("mem_kill"), idx.get("kernel_oom")
    kernel_killed = int(t.get("oom_kill_delta", "0")) > 0
    if start is None or status is None:
        # No exit event: vigil itself died, in practice as the kernel's second OOM victim.
        verdict = "vigil_killed" if int(t.get("oom_kill_delta", "0")) > 1 else "error"
    elif term is not None and (oom is None or oom > term) and status == "exited 0":
        verdict = "graceful"
    elif term is None or (oom is not None and oom < term):
        verdict = "oom_first"
    elif kernel_killed or status == "killed by SIGKILL":
        verdict = "late"
    else:
        verdict = "other"
    base = int(t.get("base", "0"))
    delay = float(t.get("delay", "0"))
    r = dict(label=t["label"], rate=int(t["rate"]), mode=t["mode"], n=int(t["n"]),
             verdict=verdict, status=status, oom_kill_delta=int(t.get("oom_kill_delta", "0")),
             achieved=None, detect_s=None, overshoot_mib=None, headroom_mib=None, term_delay_ms=None)
    exc = next((e for e in ev if e.get("event") == "mem_exceeded"), None)
    hard = armed.get("hard_limit_bytes") or 0
    cmax = armed.get("cgroup_max_bytes") or 0
    if start and exc is not None and verdict != "oom_first":
        dt = ts(exc) - ts(start) - delay
        if dt > 0:
            r["achieved"] = (exc["usage_bytes"] - base) / MiB / dt
        r["detect_s"] = dt
        r["overshoot_mib"] = (exc["usage_bytes"] - hard) / MiB
        r["headroom_mib"] = (cmax - exc["usage_bytes"]) / MiB
        k = ev[term] if term is not None else None
        if k is not None:
            r["term_delay_ms"] = (ts(k) - ts(exc)) * 1000
    elif start and oom is not None:
        dt = ts(ev[oom]) - ts(start) - delay
        if dt > 0:
            r["achieved"] = (cmax - base) / MiB / dt
        r["detect_s"] = None
    return r

rows = [classify(t) for t in trials]
cols = ["label", "rate", "mode", "n", "verdict", "status", "oom_kill_delta", "achieved",
        "detect_s", "overshoot_mib", "headroom_mib", "term_delay_ms"]
with open(raw_path, "w") as f:
    f.write("\t".join(cols) + "\n")
    for r in rows:
        f.write("\t".join("" if r[c] is None else (f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c])) for c in cols) + "\n")

def share(rs):
    g = sum(1 for r in rs if r["verdict"] == "graceful")
    return f"{100 * g / len(rs):.0f} % ({g}/{len(rs)})" if rs else "—"

def med(vals, fmt):
    vals = [v for v in vals if v is not None]
    return fmt.format(statistics.median(vals)) if vals else "—"

def counts(rs):
    c = {}
    for r in rs:
        c[r["verdict"]] = c.get(r["verdict"], 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items()))

L = []
title = {"main": "memory.max 256M", "eq500": "time-scaled 500 MiB/s: 100 MiB/s under memory.max 51.2M",
         "eq1000": "time-scaled 1 GiB/s: 100 MiB/s under memory.max 25.6M",
         "late1000": "time-scaled 1 GiB/s, leak starts 3 s after vigil"}
L.append("| setup | leak rate nominal | achieved (median) | adaptive: graceful first | fixed 1 s: graceful first |")
L.append("|---|---:|---:|---:|---:|")
for label in ["main", "eq500", "eq1000", "late1000"]:
    for rate in sorted({r["rate"] for r in rows if r["label"] == label}):
        rs = [r for r in rows if r["label"] == label and r["rate"] == rate]
        a = [r for r in rs if r["mode"] == "adaptive"]
        x = [r for r in rs if r["mode"] == "fixed"]
        L.append(f"| {title[label]} | {rate} MiB/s | {med([r['achieved'] for r in rs], '{:.0f} MiB/s')} | {share(a)} | {share(x)} |")
L.append("")
L.append("Detail (medians over the trials of each cell; detection = the sample that crossed the hard limit, "
         "timed from the start of the leak):")
L.append("")
L.append("| setup | rate | mode | outcomes | start → detection | usage over the hard limit at detection | headroom left to memory.max | detection → SIGTERM |")
L.append("|---|---:|---|---|---:|---:|---:|---:|")
for label in ["main", "eq500", "eq1000", "late1000"]:
    for rate in sorted({r["rate"] for r in rows if r["label"] == label}):
        for mode in ["adaptive", "fixed"]:
            rs = [r for r in rows if r["label"] == label and r["rate"] == rate and r["mode"] == mode]
            if not rs:
                continue
            L.append(f"| {label} | {rate} | {mode} | {counts(rs)} | {med([r['detect_s'] for r in rs], '{:.2f} s')} | "
                     f"{med([r['overshoot_mib'] for r in rs], '{:.1f} MiB')} | {med([r['headroom_mib'] for r in rs], '{:.1f} MiB')} | "
                     f"{med([r['term_delay_ms'] for r in rs], '{:.0f} ms')} |")
L.append("")
L.append(f"Command: \`$cmdline\`; {len(rows)} trials in ${elapsed} s of wall time; guest kernel "
         f"$kernel_guest under qemu TCG, ${cpus} vCPU; host $(uname -r), $(nproc) x "
         f"$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); host load $load_start at start "
         f"(CPU $busy_start % busy), $load_end at the end.")
text = "\n".join(L) + "\n"
open(md_path, "w").write(text)
print(text)
EOF
log "report: bench/out/vm-race.md; per trial: bench/out/raw-vm-race.tsv; consoles: bench/out/vm-race-*.log"
