# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034
# Shared helpers of the container runtime tests: vigil as PID 1 of real containers started by
# runc (an OCI bundle) and by podman. Sourced by every script in tests/runtimes; builds on the
# integration TAP library (plan/ok/is/like/check, $TMP removed on exit).
#
# Environment: TEST_VIGIL, the vigil binary; it must be static, since the containers run a
# busybox-static root filesystem without a libc. TEST_HELPERS is not needed: the workloads of
# tests/helpers are compiled here again, statically, into the root filesystem.
#
# Everything a test creates carries the name vigil-rt-<pid>-<random> and is removed on exit:
# containers, the runc state directory, podman's private store (--root/--runroot/--tmpdir in
# $TMP, so the host's store is never touched), image, root filesystem and cgroups.

RT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HELPERS_SRC=$RT_DIR/../helpers
: "${TEST_HELPERS:=$HELPERS_SRC}"
export TEST_HELPERS
# shellcheck source=../integration/lib.sh
. "$RT_DIR/../integration/lib.sh"

# Absolute, since the tests run from $TMP.
TEST_VIGIL=$(readlink -f -- "$TEST_VIGIL")

# conmon (podman's container monitor) writes a file named "oom" into its working directory
# when the kernel OOM-kills in a cgroup v1 container: run everything from $TMP.
cd "$TMP" || exit 1

PY=/usr/bin/python3
MiB=1048576
RT_NAME=vigil-rt-$$-$RANDOM
# A deadline for every runtime command: nothing here may hang the suite.
RT_TIMEOUT=60

# ev ARGS...: queries a JSON Lines event log (see tests/memory/evq.py).
ev() { "$PY" "$RT_DIR/../memory/evq.py" "$@"; }

# --- requirements ------------------------------------------------------------------------------

# bail_out REASON: a set-up step that should work did not: the script fails (TAP "Bail out!").
bail_out() {
  echo "Bail out! $*"
  exit 1
}

# require_memory_v1: the memory tests read the cgroup v1 memory controller on the host.
require_memory_v1() {
  [ -n "$(memory_v1_mount)" ] ||
    skip_all "no cgroup v1 memory hierarchy (these tests cover hybrid and v1 hosts; tests/vm covers cgroup v2)"
}

# is_static FILE: true when FILE is an ELF executable without a program interpreter.
is_static() {
  [ -f "$1" ] || return 1
  if command -v readelf >/dev/null; then
    readelf -h "$1" >/dev/null 2>&1 || return 1
    ! readelf -lW "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
  else
    file -L "$1" | grep -Eq 'statically linked|static-pie'
  fi
}

# require_rt_env: root, a static vigil, busybox-static, a C compiler that links statically
# (the workloads are built at test time) and python3 for the JSON events.
require_rt_env() {
  [ "$(id -u)" = 0 ] || skip_all "needs root"
  is_static "$TEST_VIGIL" || skip_all "$TEST_VIGIL is not a static executable (a busybox root filesystem has no libc)"
  BUSYBOX=$(command -v busybox) || skip_all "busybox is not installed (apt-get install busybox-static)"
  is_static "$BUSYBOX" || skip_all "$BUSYBOX is not static (apt-get install busybox-static)"
  [ -x "$PY" ] || skip_all "needs $PY to read vigil's JSON events"
  command -v gcc >/dev/null || skip_all "needs gcc to build the static workloads"
  [ -r "$HELPERS_SRC/leaker.c" ] || skip_all "no $HELPERS_SRC/leaker.c"
  printf 'int main(void){return 0;}\n' >"$TMP/static-probe.c"
  gcc -static -o "$TMP/static-probe" "$TMP/static-probe.c" 2>/dev/null ||
    skip_all "gcc cannot link statically (libc6-dev's libc.a is missing)"
}

require_runc() {
  command -v runc >/dev/null || skip_all "runc is not installed (apt-get install runc)"
  runc --version >/dev/null 2>&1 || skip_all "runc --version fails"
}

require_podman() {
  command -v podman >/dev/null || skip_all "podman is not installed (apt-get install podman)"
  command -v runc >/dev/null || skip_all "podman needs runc here (crun refuses hybrid cgroups)"
  command -v conmon >/dev/null || skip_all "conmon is not installed (apt-get install conmon)"
}

# --- root filesystem ---------------------------------------------------------------------------

# make_rootfs DIR: a busybox-static root filesystem with vigil at /bin/vigil and the workloads
# of tests/helpers (leaker, orphaner, sigrecorder) built statically into /bin.
make_rootfs() {
  local r=$1 a h
  mkdir -p "$r"/{bin,dev,etc,proc,sys,tmp,out,run} || return 1
  cp "$BUSYBOX" "$r/bin/busybox" || return 1
  for a in $("$BUSYBOX" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
  done
  cp "$TEST_VIGIL" "$r/bin/vigil" || return 1
  for h in leaker orphaner sigrecorder; do
    gcc -std=gnu11 -static -O2 -o "$r/bin/$h" "$HELPERS_SRC/$h.c" || return 1
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  chmod 1777 "$r/tmp"
}

# --- cgroups -----------------------------------------------------------------------------------

# own_cgroup CONTROLLER: this shell's cgroup in the v1 hierarchy of CONTROLLER.
own_cgroup() {
  awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) { print $3; exit } }' /proc/self/cgroup
}

# cgroup_mounts: the mount points of every cgroup hierarchy (v1 and v2), one per line.
cgroup_mounts() {
  awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) == "cgroup" || $(i+1) == "cgroup2") print $5 }' /proc/self/mountinfo
}

# memory_v1_mount: the mount point of the cgroup v1 memory hierarchy (empty without one).
memory_v1_mount() {
  awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) == "cgroup" && $(i+3) ~ /(^|,)memory(,|$)/) { print $5; exit } }' /proc/self/mountinfo
}

# Directories in cgroup hierarchies that this test created (outermost first); removed in
# reverse order on exit when empty.
_rt_cgroups=()

# note_cgroup_path REL: before a runtime creates the cgroup REL (absolute within every
# hierarchy), notes each directory on the way that does not exist yet in some hierarchy.
note_cgroup_path() {
  local m p part parts
  IFS=/ read -ra parts <<<"${1#/}"
  while read -r m; do
    p=$m
    for part in "${parts[@]}"; do
      p=$p/$part
      [ -d "$p" ] || _rt_cgroups+=("$p")
    done
  done < <(cgroup_mounts)
}

# remove_cgroups: removes what note_cgroup_path noted and every cgroup named after this run,
# innermost first, once empty (processes may take a moment to leave).
remove_cgroups() {
  local m d i p try
  local dirs=()
  while read -r m; do
    while IFS= read -r d; do dirs+=("$d"); done < <(find "$m" -maxdepth 8 -depth -type d \( -name "$RT_NAME" -o -name "$RT_NAME-*" \) 2>/dev/null)
  done < <(cgroup_mounts)
  for ((i = ${#_rt_cgroups[@]} - 1; i >= 0; i--)); do dirs+=("${_rt_cgroups[i]}"); done
  ((${#dirs[@]})) || return 0
  for try in 1 2 3 4 5 6 7 8 9 10; do
    local left=0
    for d in "${dirs[@]}"; do
      [ -d "$d" ] || continue
      # A cgroup named after this run holds nothing but what this test started: whatever the
      # runtimes left running there is killed.
      case $d in */"$RT_NAME" | */"$RT_NAME"-* | */"$RT_NAME"/*)
        find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r p; do
          kill -KILL "$p" 2>/dev/null
        done
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null ;;
      *) rmdir "$d" 2>/dev/null ;;
      esac
      [ -d "$d" ] && case $d in */"$RT_NAME" | */"$RT_NAME"-* | */"$RT_NAME"/*) left=1 ;; esac
    done
    [ "$left" = 0 ] && return 0
    sleep 0.2
  done
  diag "could not remove every cgroup of $RT_NAME" >&2
}

# The parent cgroup of every container of this run in the memory hierarchy: the caller's own
# memory cgroup/$RT_NAME (runc's relative cgroupsPath and podman's --cgroup-parent put them
# there). Its usage is hierarchical: it includes every container below it.
run_memory_cgroup() {
  local p
  p=$(memory_v1_mount)$(own_cgroup memory)
  echo "${p%/}/$RT_NAME"
}

# reset_peak: creates the parent cgroup when needed and resets its memory.max_usage_in_bytes
# (the kernel's high-water mark of the cgroup's usage, containers below it included).
reset_peak() {
  local d
  d=$(run_memory_cgroup)
  mkdir -p "$d" && echo 0 >"$d/memory.max_usage_in_bytes"
}

# peak_usage: the high-water mark since reset_peak, in bytes (0 when unreadable).
peak_usage() {
  local n
  n=$(cat "$(run_memory_cgroup)/memory.max_usage_in_bytes" 2>/dev/null)
  echo "${n:-0}"
}

# --- runc --------------------------------------------------------------------------------------

RUNC_STATE=$TMP/runc-state
RUNC=(runc --root "$RUNC_STATE")
_rt_runc_ids=()

# runc_bundle DIR ROOTFS MEMORY_MIB [TERMINATION_LOG] -- ARGS...: an OCI bundle from `runc
# spec` (read-only root, pid/mount/ipc/uts/network namespaces, cgroup v1 hierarchies mounted
# read-only at /sys/fs/cgroup by runc) with ARGS as the process, no terminal, $TMP/out
# bind-mounted read-write at /out, a memory limit (0: none; memory+swap the same) and the
# cgroup path relative, $RT_NAME/<bundle name>: runc then creates it under its caller's own
# cgroup in every hierarchy, here in a parent of this run's own.
# With TERMINATION_LOG, that host file is bind-mounted at /dev/termination-log.
runc_bundle() {
  local dir=$1 rootfs=$2 mem=$3 tlog=
  shift 3
  if [ "$1" != -- ]; then
    tlog=$1
    shift
  fi
  shift
  mkdir -p "$dir" "$TMP/out" || return 1
  (cd "$dir" && runc spec) || return 1
  "$PY" - "$dir/config.json" "$rootfs" "$mem" "$TMP/out" "$tlog" "$RT_NAME/$(basename "$dir")" "$@" <<'EOF' || return 1
import json, sys
path, rootfs, mem, out, tlog, cgname = sys.argv[1:7]
args = sys.argv[7:]
with open(path) as f:
    c = json.load(f)
c["root"] = {"path": rootfs, "readonly": True}
p = c["process"]
p["terminal"] = False
p["args"] = args
p["cwd"] = "/"
p["env"] = ["PATH=/bin", "HOME=/root"]
c["hostname"] = "vigil-rt"
c["mounts"].append({"destination": "/out", "type": "bind", "source": out,
                    "options": ["rbind", "rw"]})
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=1777", "size=16m"]})
if tlog:
    c["mounts"].append({"destination": "/dev/termination-log", "type": "bind", "source": tlog,
                        "options": ["bind", "rw"]})
linux = c["linux"]
linux["cgroupsPath"] = cgname
if int(mem):
    limit = int(mem) * 1048576
    linux.setdefault("resources", {})["memory"] = {"limit": limit, "swap": limit}
with open(path, "w") as f:
    json.dump(c, f, indent=1)
EOF
}

# runc_run ID BUNDLE OUT ERR: runs the container in the foreground, bounded; sets RC to runc's
# exit status (the container's exit code).
runc_run() {
  local id=$1 bundle=$2
  _rt_runc_ids+=("$id")
  RC=0
  timeout -k 5 "$RT_TIMEOUT" "${RUNC[@]}" run --bundle "$bundle" "$id" </dev/null >"$3" 2>"$4" || RC=$?
}

# runc_start ID BUNDLE OUT ERR: the same in the background; finish_vigil waits and sets RC.
runc_start() {
  local id=$1 bundle=$2
  _rt_runc_ids+=("$id")
  timeout -k 5 "$RT_TIMEOUT" "${RUNC[@]}" run --bundle "$bundle" "$id" </dev/null >"$3" 2>"$4" &
  BG=$!
  _bg_pids+=("$BG")
}

# runc_state ID: the container's status (running, stopped, ...), or "absent".
runc_state() {
  "${RUNC[@]}" state "$1" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null || echo absent
}

# --- podman ------------------------------------------------------------------------------------

# podman with a private store in $TMP (vfs: no overlay mounts to leave behind), runc (crun
# refuses hybrid cgroup hierarchies), cgroupfs (no systemd) and no event log.
PODMAN=(podman --root "$TMP/podman/root" --runroot "$TMP/podman/runroot" --tmpdir "$TMP/podman/tmp"
  --storage-driver vfs --runtime runc --cgroup-manager cgroupfs --events-backend none)
# Two images of the same root filesystem: a plain one (for `podman run --init --init-path
# vigil`, where podman bind-mounts vigil at /run/podman-init as PID 1) and one with vigil as
# its ENTRYPOINT.
PODMAN_IMAGE=localhost/$RT_NAME-plain:latest
PODMAN_VIGIL_IMAGE=localhost/$RT_NAME-vigil:latest

# podman_setup ROOTFS: imports ROOTFS as both images, and sets PODMAN_RUN, the `podman run`
# flags every container here needs:
#   --network=none   no network (nothing to set up, works without netavark or slirp4netns)
#   --ulimit ...     podman's default rlimits are above this host's hard limits, and raising
#                    them needs CAP_SYS_RESOURCE; these are within them
#   --cgroup-parent  a cgroup under this shell's own memory cgroup, so the container's memory
#                    is charged inside it, as for every other process of the test
# and $TMP/out bind-mounted at /out.
podman_setup() {
  local rootfs=$1 nofile nproc parent
  mkdir -p "$TMP/podman/tmp" "$TMP/out" || return 1
  tar -C "$rootfs" -cf "$TMP/rootfs.tar" . || return 1
  TMPDIR=$TMP/podman/tmp "${PODMAN[@]}" import -q --change 'CMD ["/bin/sh"]' \
    --change 'ENV PATH=/bin' "$TMP/rootfs.tar" "$PODMAN_IMAGE" >/dev/null || return 1
  TMPDIR=$TMP/podman/tmp "${PODMAN[@]}" import -q --change 'ENTRYPOINT ["/bin/vigil"]' \
    --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' \
    "$TMP/rootfs.tar" "$PODMAN_VIGIL_IMAGE" >/dev/null || return 1
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  { [ "$nofile" = unlimited ] || [ "$nofile" -gt 1024 ]; } && nofile=1024
  { [ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ]; } && nproc=4096
  parent=$(own_cgroup memory)
  parent=${parent%/}/$RT_NAME
  note_cgroup_path "$parent"
  PODMAN_RUN=(--network=none --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc"
    --cgroup-parent "$parent" -v "$TMP/out:/out")
}

# pm_name SUFFIX: a container name of this run (the store is private: rt_cleanup removes
# every container in it).
pm_name() { echo "$RT_NAME-$1"; }

# pm_wait NAME: waits (bounded) for the container to exit; prints its exit code.
pm_wait() {
  timeout -k 5 "$RT_TIMEOUT" "${PODMAN[@]}" wait "$1" 2>/dev/null || echo "wait-failed"
}

# --- cleanup -----------------------------------------------------------------------------------

rt_cleanup() {
  local id n m
  for id in "${_rt_runc_ids[@]}"; do
    timeout 20 "${RUNC[@]}" delete -f "$id" >/dev/null 2>&1
  done
  # The podman store is this test's own: everything in it goes.
  if [ -d "$TMP/podman" ]; then
    timeout 30 "${PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1
    timeout 30 "${PODMAN[@]}" rmi -a -f >/dev/null 2>&1
  fi
  remove_cgroups
  # Nothing may stay mounted below $TMP (podman's shm, a stray bind) before it is removed.
  while read -r m; do
    umount -l "$m" 2>/dev/null
  done < <(awk -v t="$TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  _cleanup
}
trap rt_cleanup EXIT

# wait_until SECONDS COMMAND...: polls COMMAND every 20 ms until it succeeds; false at the
# deadline.
wait_until() {
  local limit=$1
  shift
  local deadline=$(($(now_ms) + limit * 1000))
  until "$@"; do
    [ "$(now_ms)" -ge "$deadline" ] && return 1
    sleep 0.02
  done
}
