#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Side-by-side benchmark of vigil against tini-static, dumb-init and catatonit.
#
#   bench/run.sh [--quick] [--rounds N] [--storm-n N] [--storm-runs N] [--idle-secs N]
#
# Measures binary size, idle RSS and idle context switches as PID 1, start-to-exit latency of
# `INIT -- true`, and the time to reap an orphan storm, each init as PID 1 of a fresh PID
# namespace. Prints a Markdown report and writes it to bench/out/latest.md (raw samples go to
# bench/out/ too). Numbers are reported, never judged: nothing here passes or fails on timing.
#
# Environment: BENCH_VIGIL=/path/to/vigil uses that binary instead of build/vigil (which is
# built when missing). Needs root (namespaces, mounting /proc). See docs/benchmarks.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmdline="bench/run.sh${*:+ $*}"
[[ -n "${BENCH_VIGIL:-}" ]] && cmdline="BENCH_VIGIL=${BENCH_VIGIL} ${cmdline}"

quick=0
rounds=500      # `true` latency: interleaved rounds (each round runs every init once)
warmup=10       # untimed rounds first
storm_n=5000    # orphans per storm
storm_runs=15   # storm rounds (each round runs every init once)
storm_warmup=1
idle_secs=10    # idle window for context switches

usage() {
  sed -n '3,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

need_value() { [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || { echo "run.sh: $1 needs a positive number" >&2; exit 2; }; }

args=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --storm-n) need_value "$@"; storm_n=$2; shift 2 ;;
    --storm-runs) need_value "$@"; storm_runs=$2; shift 2 ;;
    --idle-secs) need_value "$@"; idle_secs=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage 2 ;;
  esac
done
if [[ $quick == 1 ]]; then
  # Smoke run (< 30 s): same code paths, far fewer samples; explicit options still win.
  [[ " ${args[*]} " == *" --rounds "* ]] || rounds=30
  [[ " ${args[*]} " == *" --storm-n "* ]] || storm_n=1000
  [[ " ${args[*]} " == *" --storm-runs "* ]] || storm_runs=3
  [[ " ${args[*]} " == *" --idle-secs "* ]] || idle_secs=2
  warmup=2
  storm_warmup=0
fi

log() { printf 'run.sh: %s\n' "$*" >&2; }

if [[ $(id -u) != 0 ]]; then
  echo "run.sh: must run as root (PID namespaces, mounting /proc)" >&2
  exit 1
fi

# ------------------------------------------------------------------ dependencies

apt_install() {
  log "installing: $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
}

missing=()
[[ -x /usr/bin/tini-static ]] || missing+=(tini)
command -v dumb-init >/dev/null || missing+=(dumb-init)
command -v catatonit >/dev/null || missing+=(catatonit)
command -v unshare >/dev/null || missing+=(util-linux)
command -v ps >/dev/null || missing+=(procps)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
[[ -x /usr/bin/python3 ]] || missing+=(python3)
[[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"

TINI=/usr/bin/tini-static
DUMB_INIT=$(command -v dumb-init)
CATATONIT=$(command -v catatonit)

if [[ -n "${BENCH_VIGIL:-}" ]]; then
  VIGIL_SRC=$BENCH_VIGIL
  [[ -x "$VIGIL_SRC" ]] || { echo "run.sh: BENCH_VIGIL=$VIGIL_SRC is not an executable" >&2; exit 1; }
else
  VIGIL_SRC=$root/build/vigil
  if [[ ! -x "$VIGIL_SRC" ]]; then
    log "build/vigil missing; building it"
    if ! command -v meson >/dev/null; then
      apt_install meson ninja-build g++ pkg-config libcap-dev nlohmann-json3-dev
    fi
    (cd "$root" && { meson setup build -Dtests=false 2>/dev/null || true; } && meson compile -C build) >&2
  fi
fi

# ------------------------------------------------------------------ scratch space

tmp=$(mktemp -d /tmp/vigil-bench.XXXXXX)
idle_pids=()
cleanup() {
  local p
  for p in "${idle_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy, so that a rebuild of build/vigil during the run cannot mix two binaries.
# The name stays "vigil": under the name tini or dumb-init vigil would switch to compat mode.
mkdir -p "$tmp/bin"
cp "$VIGIL_SRC" "$tmp/bin/vigil"
VIGIL=$tmp/bin/vigil

harness=$tmp/harness
if gcc -O2 -static -o "$harness" "$root/bench/harness.c" 2>"$tmp/cc.err"; then
  harness_link=static
else
  gcc -O2 -o "$harness" "$root/bench/harness.c"
  harness_link=dynamic
fi

out=$root/bench/out
mkdir -p "$out"

names=(vigil tini-static dumb-init catatonit)
declare -A bin=([vigil]=$VIGIL [tini-static]=$TINI [dumb-init]=$DUMB_INIT [catatonit]=$CATATONIT)
declare -A size_path=([vigil]=$VIGIL_SRC [tini-static]=$TINI [dumb-init]=$DUMB_INIT [catatonit]=$CATATONIT)

# argv of "INIT ... PROGRAM ARGS" for each init, TAB-separated for the harness spec.
spec_line() {  # name program args...
  local name=$1; shift
  local argv=("$name")
  [[ $name == dumb-init ]] || argv+=(--)   # dumb-init's documented form has no "--"
  argv+=("$@")
  local IFS=$'\t'
  printf '%s\t%s\t%s\n' "$name" "${bin[$name]}" "${argv[*]}"
}

# How busy the machine is with other work just before we start (the runs are interleaved so
# that such noise hits every init alike, but it still widens the spread).
cpu_busy() {  # percent of CPU time not idle over one second
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  local idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
busy_start=$(cpu_busy)

# ------------------------------------------------------------------ 1. size

: >"$tmp/sizes.tsv"
for n in "${names[@]}"; do
  printf '%s\t%s\t%s\n' "$n" "$(stat -L -c %s "${size_path[$n]}")" "$(readlink -f "${size_path[$n]}")" >>"$tmp/sizes.tsv"
done

# ------------------------------------------------------------------ 2+3. idle RSS and wake-ups

log "idle: all four inits as PID 1 (unshare --pid --fork --mount-proc), child sleeping, ${idle_secs}s window"
declare -A upid ipid cpid
for n in "${names[@]}"; do
  sep=(--); [[ $n == dumb-init ]] && sep=()
  unshare --pid --fork --mount-proc "${bin[$n]}" "${sep[@]}" sleep 3600 \
    </dev/null >/dev/null 2>>"$tmp/idle.err" &
  upid[$n]=$!
  idle_pids+=("$!")
done

status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# The init is unshare's child once it has exec'ed the init binary, and it is idle once its own
# child is `sleep`.
deadline=$((SECONDS + 20))
for n in "${names[@]}"; do
  u=${upid[$n]}
  want=$(readlink -f "${bin[$n]}")
  while :; do
    p=$(awk '{print $1}' "/proc/$u/task/$u/children" 2>/dev/null || true)
    if [[ -n "$p" && "$(readlink "/proc/$p/exe" 2>/dev/null)" == "$want" ]]; then
      c=$(awk '{print $1}' "/proc/$p/task/$p/children" 2>/dev/null || true)
      if [[ -n "$c" && "$(cat "/proc/$c/comm" 2>/dev/null)" == sleep ]]; then
        ipid[$n]=$p
        cpid[$n]=$c
        idle_pids+=("$p")
        break
      fi
    fi
    if ((SECONDS > deadline)); then
      echo "run.sh: $n did not reach the idle state; stderr:" >&2
      cat "$tmp/idle.err" >&2
      exit 1
    fi
    sleep 0.05
  done
done
sleep 1  # let start-up settle before the window opens

ctx() { echo $(($(status_field "$1" voluntary_ctxt_switches) + $(status_field "$1" nonvoluntary_ctxt_switches))); }
declare -A ctx0
: >"$tmp/idle.tsv"
for n in "${names[@]}"; do ctx0[$n]=$(ctx "${ipid[$n]}"); done
sleep "$idle_secs"
for n in "${names[@]}"; do
  p=${ipid[$n]}
  c1=$(ctx "$p")
  pss=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo -)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$(status_field "$p" VmRSS)" "$(status_field "$p" RssAnon)" \
    "$(status_field "$p" RssFile)" "${pss:--}" "$((c1 - ctx0[$n]))" >>"$tmp/idle.tsv"
done
# Ending the child ends each init the ordinary way (killing the init instead makes unshare
# complain on its way out).
for n in "${names[@]}"; do kill -KILL "${cpid[$n]}" 2>/dev/null || true; done
wait 2>/dev/null || true
idle_pids=()

# ------------------------------------------------------------------ 4. `-- true` latency

log "latency: ${rounds} interleaved rounds of INIT -- true (+${warmup} warm-up)"
{
  for n in "${names[@]}"; do spec_line "$n" true; done
  printf 'none\t%s\ttrue\n' "$(type -P true)"   # baseline: `true` itself as PID 1
} >"$tmp/lat.spec"
"$harness" run "$tmp/lat.spec" "$rounds" "$warmup" >"$tmp/lat.tsv" 2>"$tmp/lat.err"

# ------------------------------------------------------------------ 5. orphan storm

log "storm: ${storm_runs} interleaved rounds of INIT -- storm ${storm_n} (+${storm_warmup} warm-up)"
for n in "${names[@]}"; do spec_line "$n" "$harness" storm "$storm_n" "$tmp/storm.res"; done >"$tmp/storm.spec"
"$harness" run "$tmp/storm.spec" "$storm_runs" "$storm_warmup" "$tmp/storm.res" \
  >"$tmp/storm.tsv" 2>"$tmp/storm.err"

# ------------------------------------------------------------------ report

cp "$tmp/lat.tsv" "$out/raw-latency.tsv"
cp "$tmp/storm.tsv" "$out/raw-storm.tsv"
cp "$tmp/idle.tsv" "$out/raw-idle.tsv"

export B_CMDLINE=$cmdline B_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) B_KERNEL=$(uname -r) \
  B_NPROC=$(nproc) B_CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) \
  B_LOAD_START=$load_start B_BUSY_START=$busy_start B_TMP=$tmp B_OUT=$out \
  B_ROUNDS=$rounds B_WARMUP=$warmup B_STORM_N=$storm_n B_STORM_RUNS=$storm_runs \
  B_STORM_WARMUP=$storm_warmup B_IDLE_SECS=$idle_secs B_QUICK=$quick \
  B_VIGIL_SRC=$VIGIL_SRC B_VIGIL_VERSION="$("$VIGIL" --version 2>/dev/null | head -1)" \
  B_VIGIL_SHA=$(sha256sum "$VIGIL" | cut -c1-12) B_HARNESS_LINK=$harness_link \
  B_GIT="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$( \
    [[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]] && echo ' + uncommitted changes')" \
  B_TRUE=$(readlink -f "$(type -P true)")

/usr/bin/python3 - <<'PY'
import os, struct, sys

E = os.environ
tmp, out = E["B_TMP"], E["B_OUT"]
names = ["vigil", "tini-static", "dumb-init", "catatonit"]
REF = "tini-static"


def rows(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def quantile(xs, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def med(xs):
    return quantile(xs, 0.5)


def is_dynamic(path):
    """True when the ELF file has a PT_INTERP program header (needs the dynamic loader)."""
    with open(path, "rb") as f:
        h = f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2:
            return None
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    return any(struct.unpack_from("<I", ph, i * phentsize)[0] == 3 for i in range(phnum))


sizes = {r[0]: (int(r[1]), r[2]) for r in rows(f"{tmp}/sizes.tsv")}
idle = {r[0]: r[1:] for r in rows(f"{tmp}/idle.tsv")}

lat, lat_cpu, lat_fail = {}, {}, {}
for name, _round, ns, status, cpu, _extra in rows(f"{tmp}/lat.tsv"):
    if status != "0":
        lat_fail[name] = lat_fail.get(name, 0) + 1
        continue
    lat.setdefault(name, []).append(int(ns) / 1e6)
    lat_cpu.setdefault(name, []).append(int(cpu) / 1e6)

storm_wall, storm_reap, storm_cpu, storm_sw, storm_fail = {}, {}, {}, {}, {}
for name, _round, ns, status, _cpu, extra in rows(f"{tmp}/storm.tsv"):
    parts = extra.split()
    if status != "0" or len(parts) != 4:
        storm_fail[name] = storm_fail.get(name, 0) + 1
        continue
    storm_wall.setdefault(name, []).append(int(ns) / 1e6)
    storm_reap.setdefault(name, []).append(int(parts[1]) / 1e6)
    if int(parts[2]) >= 0:
        storm_cpu.setdefault(name, []).append(int(parts[2]) / 1e6)
    if int(parts[3]) >= 0:
        storm_sw.setdefault(name, []).append(int(parts[3]))


def ratio(d, name):
    a, b = d.get(name), d.get(REF)
    if not a or not b:
        return "n/a"
    return f"{med(a) / med(b):.2f}"


def ms(d, name, q=0.5, digits=2):
    xs = d.get(name)
    return f"{quantile(xs, q):.{digits}f}" if xs else "n/a"


idle_secs = int(E["B_IDLE_SECS"])
quick = E["B_QUICK"] == "1"
L = []
w = L.append
w(f"# vigil benchmark{' (quick smoke run: too few samples to compare)' if quick else ''}")
w("")
w(f"- command: `{E['B_CMDLINE']}` (from the repository root)")
w(f"- date: {E['B_DATE']}")
w(f"- kernel: {E['B_KERNEL']}; CPUs: {E['B_NPROC']} ({E['B_CPU']}); "
  f"before the run: load average {E['B_LOAD_START']}, CPU {E['B_BUSY_START']}% busy with "
  f"other work")
w(f"- vigil: `{E['B_VIGIL_SRC']}` ({E['B_VIGIL_VERSION']}, sha256 {E['B_VIGIL_SHA']}…); "
  f"repository at {E['B_GIT']}")
w(f"- every init runs as PID 1 of a fresh PID + mount namespace with its own /proc. Idle: "
  f"`unshare --pid --fork --mount-proc INIT -- sleep 3600`, all four at once. `true` and storm: "
  f"the C harness ({E['B_HARNESS_LINK']}ally linked) clones straight into new namespaces (what "
  f"unshare does, without exec'ing unshare), so namespace set-up and tear-down are in every "
  f"number, equally")
w("")
w(f"| init | size (bytes) | idle RSS kB | idle ctx switches / {idle_secs} s | "
  f"`true` median ms (ratio) | storm median ms (ratio) |")
w("|---|---:|---:|---:|---:|---:|")
for n in names:
    size, real = sizes[n]
    dyn = is_dynamic(real)
    size_s = f"{size}" + (" (dynamic)" if dyn else "")
    rss, _anon, _file, _pss, sw = idle[n]
    w(f"| {n} | {size_s} | {rss} | {sw} | {ms(lat, n)} ({ratio(lat, n)}) | "
      f"{ms(storm_reap, n, digits=1)} ({ratio(storm_reap, n)}) |")
w(f"| (no init: `true` itself as PID 1) | | | | {ms(lat, 'none')} | |")
w("")
dyn_names = [n for n in names if is_dynamic(sizes[n][1])]
if dyn_names:
    w(f"{', '.join(dyn_names)}: dynamically linked. Its size excludes the C library it loads, and "
      f"its RSS includes the shared-library pages it maps (see Pss below). Reported as is.")
    w("")
w(f"Ratios are median ÷ median of {REF}; below 1.00 is faster than {REF}. "
  f"`true`: {E['B_ROUNDS']} interleaved rounds (+{E['B_WARMUP']} warm-up), wall time from "
  f"clone() to waitpid() of `INIT -- true` ({E['B_TRUE']}). Storm: {E['B_STORM_RUNS']} "
  f"interleaved rounds (+{E['B_STORM_WARMUP']} warm-up) of `INIT -- storm {E['B_STORM_N']}`; "
  f"the storm column is the reap phase: from releasing {E['B_STORM_N']} orphans at once until "
  f"the last of them has been reaped by the init.")
w("")
w("Details:")
w("")
w("| init | `true` p90 ms | `true` min ms | `true` CPU ms (init + true) | storm p90 ms | "
  "init CPU in storm ms (ratio) | init ctx switches in storm | storm total wall ms | "
  "RssAnon kB | Pss kB | failed runs |")
w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in names + ["none"]:
    if n == "none":
        w(f"| (no init) | {ms(lat, n, 0.9)} | {ms(lat, n, 0)} | "
          f"{ms(lat_cpu, n)} | | | | | | | {lat_fail.get(n, 0)} |")
        continue
    _rss, anon, _file, pss, _sw = idle[n]
    sw = ms(storm_sw, n, digits=0)
    w(f"| {n} | {ms(lat, n, 0.9)} | {ms(lat, n, 0)} | {ms(lat_cpu, n)} | "
      f"{ms(storm_reap, n, 0.9, 1)} | {ms(storm_cpu, n, digits=1)} ({ratio(storm_cpu, n)}) | {sw} | "
      f"{ms(storm_wall, n, digits=0)} | {anon} | {pss} | "
      f"{lat_fail.get(n, 0) + storm_fail.get(n, 0)} |")
w("")
w("Medians unless marked; p90 by linear interpolation. `true` CPU: user+sys of the init and "
  "`true` from wait4(). Init CPU and ctx switches in storm: PID 1's /proc/1/schedstat run time "
  "and context switches across the reap phase. Storm total wall: clone() to waitpid() of "
  "the whole `INIT -- storm N`, dominated by forking 2×N processes.")

report = "\n".join(L) + "\n"
sys.stdout.write(report)
with open(f"{out}/latest.md", "w") as f:
    f.write(report)
PY

for f in idle lat storm; do
  if [[ -s "$tmp/$f.err" ]]; then
    log "stderr of the $f runs (first lines):"
    head -5 "$tmp/$f.err" >&2
  fi
done
log "report written to bench/out/latest.md; raw samples in bench/out/raw-*.tsv"
