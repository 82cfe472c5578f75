#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CPU cost of one memory sample: vigil's own CPU time per wake-up of the memory watcher.
#
#   bench/memory.sh [--quick] [--secs N] [--rounds N] [--no-host-procfs]
#
# vigil runs as PID 1 of a fresh PID namespace (unshare --pid --fork --mount-proc) with
# `--mem-interval 10ms --mem-adaptive=false` (a sample exactly every 10 ms) and a child that
# sleeps, once per memory source: a fake cgroup v2 tree (tests/fixtures/cgroup-v2), this host's
# cgroup v1 memory controller, and procfs (child `sleep`, then 50 more descendants; and once
# outside any PID namespace, where /proc lists the whole host). In each window of --secs
# seconds (default 8, after 1 s of warm-up; --rounds rounds, default 3, interleaved) it reads
# /proc/PID/schedstat (ns on CPU) and voluntary_ctxt_switches (one per wake-up from
# epoll_wait) and reports CPU µs per sample. Contrast rows: the watcher off (no wake-up at all),
# and "floors" from a small C loop that wakes like vigil (absolute timerfd, epoll_wait) and does
# nothing, or reads the files one sample reads, with open/read/close or with pread on
# descriptors kept open. Figures only, never pass/fail.
#
# Environment: BENCH_VIGIL=/path/to/vigil uses that binary instead of build/vigil. Needs root.
# Writes bench/out/memory.md and bench/out/raw-memory.tsv.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmdline="bench/memory.sh${*:+ $*}"
[[ -n "${BENCH_VIGIL:-}" ]] && cmdline="BENCH_VIGIL=${BENCH_VIGIL} ${cmdline}"

secs=8
rounds=3
host_procfs=1
usage() {
  sed -n '3,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}
need_value() { [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || { echo "memory.sh: $1 needs a positive number" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) secs=3; rounds=1; shift ;;
    --secs) need_value "$@"; secs=$2; shift 2 ;;
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --no-host-procfs) host_procfs=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "memory.sh: unknown argument: $1" >&2; usage 2 ;;
  esac
done

log() { printf 'memory.sh: %s\n' "$*" >&2; }
[[ $(id -u) == 0 ]] || { echo "memory.sh: must run as root (PID namespaces, mounting /proc)" >&2; exit 1; }
for tool in unshare gcc python3; do
  command -v "$tool" >/dev/null || { echo "memory.sh: needs $tool" >&2; exit 1; }
done

vigil_src=${BENCH_VIGIL:-$root/build/vigil}
if [[ -z "${BENCH_VIGIL:-}" && ! -x "$vigil_src" ]]; then
  log "build/vigil missing; building it"
  (cd "$root" && { [[ -d build ]] || meson setup build -Dtests=false; } && meson compile -C build) >&2
fi
[[ -x "$vigil_src" ]] || { echo "memory.sh: $vigil_src is not an executable" >&2; exit 1; }

tmp=$(mktemp -d /tmp/vigil-membench.XXXXXX)
run_pids=()
cleanup() {
  local p
  for p in "${run_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy, so that a rebuild of build/vigil during the run cannot mix two binaries.
cp "$vigil_src" "$tmp/vigil"
VIGIL=$tmp/vigil

# The fake cgroup v2 tree: memory.max 512MiB, memory.current 256MiB, never changing.
mkdir -p "$tmp/cg2"
cp "$root"/tests/fixtures/cgroup-v2/* "$tmp/cg2/"

# Contrast: a wake-up loop like vigil's (absolute timerfd re-armed each time, epoll_wait, read
# the expiry count), optionally reading the four files a cgroup v2 sample reads.
cat >"$tmp/floor.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
/* floor [open|pread DIR FILE...]: wake every 10 ms; with DIR, read the FILEs each time, either
   open/read/close (as vigil does) or pread at offset 0 on descriptors kept open (kernfs
   regenerates a file's content on a read at offset 0). */
int main(int argc, char **argv) {
  int keep = argc > 1 && strcmp(argv[1], "pread") == 0;
  int dfd = argc > 2 ? open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  int nfiles = argc > 3 ? argc - 3 : 0;
  char **files = argv + 3;
  int fds[16];
  if (nfiles > 16) return 2;
  for (int i = 0; i < nfiles; i++) {
    fds[i] = keep ? openat(dfd, files[i], O_RDONLY | O_CLOEXEC) : -1;
    if (keep && fds[i] < 0) return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  char buf[65536];
  for (;;) {
    next.tv_nsec += 10000000L;
    if (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
    struct itimerspec its = {.it_value = next};
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    epoll_wait(ep, &ev, 1, -1);
    uint64_t n;
    if (read(tfd, &n, sizeof n) < 0) continue;
    for (int i = 0; dfd >= 0 && i < nfiles; i++) {
      if (keep) {
        if (pread(fds[i], buf, sizeof buf, 0) < 0) abort();
        continue;
      }
      int fd = openat(dfd, files[i], O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      while (read(fd, buf, sizeof buf) > 0) {
      }
      close(fd);
    }
  }
}
EOF
gcc -O2 -static -o "$tmp/floor" "$tmp/floor.c" 2>/dev/null || gcc -O2 -o "$tmp/floor" "$tmp/floor.c"

# ------------------------------------------------------------------ host facts

kernel=$(uname -r)
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
ncpu=$(nproc)
host_procs=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)

cpu_busy() {  # percent of CPU time not idle over one second
  local a b total=0 i
  read -ra a </proc/stat; sleep 1; read -ra b </proc/stat
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  local idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $((total > 0 ? 100 * (total - idle) / total : 0))
}

# The host's cgroup v1 memory controller, when there is one (a v1 or hybrid hierarchy).
v1_memcg=""
if grep -q '^[0-9]*:[^:]*\bmemory\b[^:]*:' /proc/self/cgroup && awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/' /proc/mounts | grep -q .; then
  v1_memcg=$(sed -n 's/^[0-9]*:[^:]*\bmemory\b[^:]*:\(.*\)$/\1/p' /proc/self/cgroup | head -1)
  v1_mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
  v1_dir=$v1_mnt$v1_memcg
  [[ -r "$v1_dir/memory.usage_in_bytes" ]] || v1_memcg=""
fi

# ------------------------------------------------------------------ one measurement

# measure NAME NSPROC -- COMMAND...: starts COMMAND (in a fresh PID namespace when NSPROC is
# "ns"), finds the process to watch (vigil, or the floor program), waits 1 s, then measures a
# window of $secs seconds. Appends one row to raw-memory.tsv.
raw=$tmp/raw.tsv
printf 'case\tround\twindow_s\tcpu_ns\tvol_cs\tinvol_cs\tticks\tcpu_busy_pct\n' >"$raw"

ns_status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

measure() {
  local name=$1 round=$2 mode=$3
  shift 4
  local busy pid starter
  busy=$(cpu_busy)
  if [[ $mode == ns ]]; then
    unshare --pid --fork --mount-proc "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
  else
    "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
  fi
  starter=$!
  run_pids+=("$starter")
  pid=""
  if [[ $mode == ns ]]; then
    local deadline=$((SECONDS + 10))
    while [[ -z "$pid" ]]; do
      pid=$(awk '{print $1}' "/proc/$starter/task/$starter/children" 2>/dev/null || true)
      if [[ -n "$pid" && "$(readlink "/proc/$pid/exe" 2>/dev/null)" != "$(readlink -f "$1")" ]]; then
        pid=""
      fi
      ((SECONDS < deadline)) || { log "$name: no process found"; cat "$tmp/$name.err" >&2; exit 1; }
      [[ -n "$pid" ]] || sleep 0.05
    done
  else
    pid=$starter
  fi
  run_pids+=("$pid")
  sleep 1
  local t0 c0 v0 i0 k0 t1 c1 v1 i1 k1
  read -r c0 _ </proc/"$pid"/schedstat
  v0=$(ns_status "$pid" voluntary_ctxt_switches)
  i0=$(ns_status "$pid" nonvoluntary_ctxt_switches)
  k0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  t0=$EPOCHREALTIME
  sleep "$secs"
  read -r c1 _ </proc/"$pid"/schedstat
  t1=$EPOCHREALTIME
  v1=$(ns_status "$pid" voluntary_ctxt_switches)
  i1=$(ns_status "$pid" nonvoluntary_ctxt_switches)
  k1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  # SIGKILL to PID 1 of the namespace ends every process in it; outside one, end the child too.
  local kids
  kids=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
  kill -KILL "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086  # a list of pids
  [[ $mode == ns || -z "$kids" ]] || kill -KILL $kids 2>/dev/null || true
  wait "$starter" 2>/dev/null || true
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" \
    "$(python3 -c "print(f'{$t1 - $t0:.3f}')")" $((c1 - c0)) $((v1 - v0)) $((i1 - i0)) \
    $((k1 - k0)) "$busy" >>"$raw"
  if grep -q '"level":"\(warning\|error\)"\|vigil: .*\(warn\|error\)' "$tmp/$name.err" 2>/dev/null; then
    log "$name: vigil complained:"
    head -5 "$tmp/$name.err" >&2
  fi
}

long=$((secs * rounds + 60))   # children outlive the window; they are killed after it
V=(--log-format json --mem-interval 10ms --mem-adaptive=false)
descendants="for i in \$(seq 50); do sleep $long & done; wait"

cases=(off cgroup2-fake)
[[ -n "$v1_memcg" ]] && cases+=(cgroup1)
cases+=(procfs-sleep procfs-50 floor-wake floor-read floor-pread)
[[ -n "$v1_memcg" ]] && cases+=(floor-read-v1 floor-pread-v1)
# The files one sample reads (memory.max twice on v2: its own and the parent's, which the
# fake tree lacks; memory.stat twice on v1 is not needed: the limit comes from the same read).
v2_files=(memory.current memory.stat memory.events memory.max)
v1_files=(memory.usage_in_bytes memory.stat memory.oom_control memory.limit_in_bytes)
[[ $host_procfs == 1 ]] && cases+=(procfs-hostns)

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "kernel $kernel, $ncpu x $cpu_model; load $load_start; ${rounds} rounds x ${secs}s per case"
for ((r = 1; r <= rounds; r++)); do
  for c in "${cases[@]}"; do
    log "round $r: $c"
    case $c in
      off) measure off "$r" ns -- "$VIGIL" -- sleep "$long" ;;
      cgroup2-fake)
        measure "$c" "$r" ns -- "$VIGIL" "${V[@]}" --cgroup-root "$tmp/cg2" --mem-limit 90% -- sleep "$long" ;;
      cgroup1)
        measure "$c" "$r" ns -- "$VIGIL" "${V[@]}" --mem-source cgroup1 --mem-limit 100G -- sleep "$long" ;;
      procfs-sleep)
        measure "$c" "$r" ns -- "$VIGIL" "${V[@]}" --mem-source procfs --mem-limit 100G -- sleep "$long" ;;
      procfs-50)
        measure "$c" "$r" ns -- "$VIGIL" "${V[@]}" --mem-source procfs --mem-limit 100G -- sh -c "$descendants" ;;
      procfs-hostns)
        measure "$c" "$r" host -- "$VIGIL" "${V[@]}" --mem-source procfs --mem-limit 100G -- sleep "$long" ;;
      floor-wake) measure "$c" "$r" host -- "$tmp/floor" ;;
      floor-read) measure "$c" "$r" host -- "$tmp/floor" open "$tmp/cg2" "${v2_files[@]}" ;;
      floor-pread) measure "$c" "$r" host -- "$tmp/floor" pread "$tmp/cg2" "${v2_files[@]}" ;;
      floor-read-v1) measure "$c" "$r" host -- "$tmp/floor" open "$v1_dir" "${v1_files[@]}" ;;
      floor-pread-v1) measure "$c" "$r" host -- "$tmp/floor" pread "$v1_dir" "${v1_files[@]}" ;;
    esac
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
host_procs_end=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)

# ------------------------------------------------------------------ report

out=$root/bench/out
mkdir -p "$out"
cp "$raw" "$out/raw-memory.tsv"

python3 - "$raw" "$out/memory.md" <<EOF
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
desc = {
  "off": ("watcher off", "vigil -- sleep (no --mem-* option)"),
  "cgroup2-fake": ("cgroup v2 (fake tree)", "--cgroup-root DIR --mem-limit 90%"),
  "cgroup1": ("cgroup v1 (this host)", "--mem-source cgroup1 --mem-limit 100G"),
  "procfs-sleep": ("procfs, 1 descendant", "--mem-source procfs --mem-limit 100G -- sleep"),
  "procfs-50": ("procfs, 51 descendants", "--mem-source procfs --mem-limit 100G -- sh (50 x sleep)"),
  "procfs-hostns": ("procfs, host PID namespace", "same, but not in a PID namespace: /proc lists the whole host"),
  "floor-wake": ("floor: bare wake-up", "C loop: timerfd + epoll_wait every 10 ms, nothing else"),
  "floor-read": ("floor: v2 files, open/read/close", "same + open/read/close of the 4 files a v2 sample reads (fake tree)"),
  "floor-pread": ("floor: v2 files, pread", "same, but pread at offset 0 on 4 descriptors kept open"),
  "floor-read-v1": ("floor: v1 files, open/read/close", "wake-up + open/read/close of the 4 files a v1 sample reads (this host)"),
  "floor-pread-v1": ("floor: v1 files, pread", "same, but pread at offset 0 on 4 descriptors kept open"),
}
order = [c for c in desc if any(r["case"] == c for r in rows)]
lines = []
lines.append("| case | what runs | wake-ups/s | CPU µs per sample: min | median | max | CPU % of one core (median) |")
lines.append("|---|---|---:|---:|---:|---:|---:|")
for c in order:
    rs = [r for r in rows if r["case"] == c]
    per, rate, pct = [], [], []
    for r in rs:
        w = float(r["window_s"]); ns = int(r["cpu_ns"]); v = int(r["vol_cs"])
        rate.append(v / w)
        pct.append(100.0 * ns / (w * 1e9))
        if v > 0:
            per.append(ns / v / 1000.0)
    name, what = desc[c]
    if per:
        cells = f"{min(per):.1f} | {statistics.median(per):.1f} | {max(per):.1f}"
    else:
        cells = "— | — (no wake-up) | —"
    lines.append(f"| {name} | {what} | {statistics.median(rate):.1f} | {cells} | {statistics.median(pct):.3f} |")
busy = [int(r["cpu_busy_pct"]) for r in rows]
lines.append("")
lines.append(f"Command: \`$cmdline\` ({len(rows)} windows of ${secs} s; vigil as PID 1 of "
             "\`unshare --pid --fork --mount-proc\` except the host-namespace row).")
lines.append(f"Host: kernel $kernel, ${ncpu} x $cpu_model; load average $load_start at start, "
             f"$load_end at the end; CPU busy before each window {min(busy)}–{max(busy)} %; "
             f"processes visible on the host: $host_procs at start, $host_procs_end at the end.")
text = "\n".join(lines) + "\n"
open(sys.argv[2], "w").write(text)
print(text)
EOF
log "raw windows: bench/out/raw-memory.tsv; report: bench/out/memory.md"
