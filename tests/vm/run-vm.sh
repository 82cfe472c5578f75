#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots a cgroup-v2 Linux kernel under qemu with a busybox initramfs and runs
# COMMAND as PID 1 inside a child cgroup with a memory limit. Streams the
# serial console and reports PID 1's exit code as a VM_EXIT=<code> line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${VIGIL_VM_CACHE:-$here/cache}"
prog="run-vm"

usage() {
  cat <<'EOF'
usage: run-vm.sh [OPTIONS] -- COMMAND [ARG...]

Boots a VM whose /init mounts proc, sysfs, devtmpfs, tmpfs /tmp and cgroup2 at
/sys/fs/cgroup, enables the memory controller, moves itself into the cgroup
/vigil-test, runs the --setup script, prints "VIGIL_VM_READY ..." and then
execs COMMAND, which becomes PID 1 of the VM inside that cgroup.

Guest:
  --mem-max SIZE         memory.max of /vigil-test (e.g. 256M; default max)
  --cg FILE=VALUE        also write VALUE to /vigil-test/FILE, e.g. memory.high=200M
                         (repeatable; memory.swap.max is always set to 0)
  --file SRC[:DEST]      copy host file SRC into the initramfs at absolute path
                         DEST (default /bin/NAME); binaries must be static (repeatable)
  --setup SCRIPT         host shell script sourced by /init inside the cgroup,
                         just before COMMAND starts (busybox sh)
  --env NAME=VALUE       environment variable for COMMAND (repeatable)
  --ctty                 start COMMAND as a session leader with the serial
                         console as controlling terminal (like docker run -t);
                         by default it has /dev/console as stdio but no
                         controlling terminal, and session and group 0
  --wrap                 run COMMAND as a child of /init instead of exec'ing it;
                         afterwards print the --collect files, exit with its code
  --collect PATH         with --wrap: print guest file PATH between markers after
                         COMMAND exits (repeatable)
  --out DIR              with --collect: also save those files into host DIR
VM:
  --timeout SECONDS      wall-clock limit for the whole run (default 60)
  --vm-mem SIZE          guest RAM (default 512M)
  --cpus N               guest CPUs (default 1)
  --accel tcg|kvm        qemu accelerator (default tcg; kvm only where nested
                         virtualisation really works)
  --kernel PATH          kernel image (default: VIGIL_VM_KERNEL, else the cached
                         Debian kernel, fetched by fetch-kernel.sh when missing)
  --append ARGS          extra kernel command line arguments
Output:
  --log FILE             also write the console (CR stripped) to FILE
  --quiet                do not stream the console to stdout
  -h, --help

Output lines on stdout: VM_BOOT_SECONDS=<s> (launch to VIGIL_VM_READY),
VM_EXIT=<code> (PID 1's exit code, 128+N for signal N) or VM_ERROR=<reason>.
Exit status: COMMAND's exit code when VM_EXIT is printed; otherwise 124 when
the timeout expired and 125 for any other harness or guest /init failure.
EOF
}

die() {
  echo "$prog: $*" >&2
  echo "VM_ERROR=$*"
  exit 125
}

# Single-quotes $1 for the guest's POSIX shell.
shquote() {
  local s="${1//\'/\'\\\'\'}"
  printf "'%s'" "$s"
}

mem_max="max"
cg_writes=()
files=()
setup=""
envs=()
wrap=0
ctty=0
collects=()
out_dir=""
timeout_s=60
vm_mem="512M"
cpus=1
accel="tcg"
kernel="${VIGIL_VM_KERNEL:-}"
append=""
log_file=""
quiet=0

need_arg() { [[ $# -ge 2 ]] || die "option $1 needs a value (see --help)"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --mem-max) need_arg "$@"; mem_max="$2"; shift 2 ;;
    --cg) need_arg "$@"; cg_writes+=("$2"); shift 2 ;;
    --file) need_arg "$@"; files+=("$2"); shift 2 ;;
    --setup) need_arg "$@"; setup="$2"; shift 2 ;;
    --env) need_arg "$@"; envs+=("$2"); shift 2 ;;
    --wrap) wrap=1; shift ;;
    --ctty) ctty=1; shift ;;
    --collect) need_arg "$@"; collects+=("$2"); shift 2 ;;
    --out) need_arg "$@"; out_dir="$2"; shift 2 ;;
    --timeout) need_arg "$@"; timeout_s="$2"; shift 2 ;;
    --vm-mem) need_arg "$@"; vm_mem="$2"; shift 2 ;;
    --cpus) need_arg "$@"; cpus="$2"; shift 2 ;;
    --accel) need_arg "$@"; accel="$2"; shift 2 ;;
    --kernel) need_arg "$@"; kernel="$2"; shift 2 ;;
    --append) need_arg "$@"; append="$2"; shift 2 ;;
    --log) need_arg "$@"; log_file="$2"; shift 2 ;;
    --quiet) quiet=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (COMMAND goes after --; see --help)" ;;
  esac
done
[[ $# -gt 0 ]] || die "no COMMAND given after -- (see --help)"

[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "--timeout: expected whole seconds, got '$timeout_s'"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus: expected a positive number, got '$cpus'"
[[ "$mem_max" =~ ^([0-9]+[KMG]?|max)$ ]] || die "--mem-max: expected e.g. 256M or max, got '$mem_max'"
[[ "$vm_mem" =~ ^[0-9]+[MG]$ ]] || die "--vm-mem: expected e.g. 512M, got '$vm_mem'"
for w in "${cg_writes[@]}"; do
  [[ "$w" =~ ^[a-z0-9_.]+=.+$ ]] || die "--cg: expected FILE=VALUE, got '$w'"
done
for e in "${envs[@]}"; do
  [[ "$e" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env: expected NAME=VALUE, got '$e'"
done
[[ ${#collects[@]} -eq 0 || $wrap -eq 1 ]] || die "--collect needs --wrap (after exec, /init is gone)"
[[ -z "$out_dir" || ${#collects[@]} -gt 0 ]] || die "--out needs --collect"
[[ -z "$setup" || -r "$setup" ]] || die "--setup: cannot read '$setup'"
[[ "$accel" == tcg || "$accel" == kvm ]] || die "--accel: expected tcg or kvm, got '$accel'"

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v cpio >/dev/null; then
  die "qemu-system-x86_64 or cpio missing: run tests/vm/fetch-kernel.sh"
fi
bb="$cache/busybox-static/bin/busybox"
if [[ -z "$kernel" ]]; then
  kernel="$(find "$cache" -path "$cache/linux-image-*/boot/vmlinuz-*" 2>/dev/null | sort -V | tail -n1 || true)"
fi
if [[ -z "$kernel" || ! -x "$bb" ]]; then
  kernel_fetched="$("$here/fetch-kernel.sh")" || die "fetch-kernel.sh failed"
  [[ -n "$kernel" ]] || kernel="$kernel_fetched"
fi
[[ -r "$kernel" ]] || die "cannot read kernel image '$kernel'"
# fetch-kernel.sh leaves an unpacked PVH image next to the cached vmlinuz:
# booting it skips ~8 s of in-guest decompression under software emulation.
boot_image="$kernel"
if [[ "$kernel" == "$cache"/* && -s "$(dirname "$kernel")/vmlinux" ]]; then
  boot_image="$(dirname "$kernel")/vmlinux"
fi
[[ -x "$bb" ]] || die "no static busybox at $bb: run tests/vm/fetch-kernel.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-vm.XXXXXX")"
qemu_pid=""
# shellcheck disable=SC2317  # called through trap
cleanup() {
  if [[ -n "$qemu_pid" ]]; then kill "$qemu_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- initramfs -------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,vigil-vm}
cp "$bb" "$root/bin/busybox"
for applet in $("$bb" --list); do
  [[ "$applet" == busybox ]] || ln -s busybox "$root/bin/$applet"
done
# The kernel opens /dev/console for /init's stdio before any devtmpfs exists.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null ||
  die "mknod dev/console failed (run as root)"
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true

for spec in "${files[@]}"; do
  if [[ "$spec" == *:/* ]]; then
    src="${spec%:/*}"
    dest="/${spec##*:/}"
  else
    src="$spec"
    dest="/bin/$(basename "$spec")"
  fi
  [[ -f "$src" ]] || die "--file: no such file '$src'"
  if command -v readelf >/dev/null && readelf -l "$src" 2>/dev/null | grep -q 'INTERP'; then
    echo "$prog: warning: $src is dynamically linked; the guest has no libc" >&2
  fi
  mkdir -p "$root$(dirname "$dest")"
  rm -f "$root$dest"
  cp -p "$src" "$root$dest"
done
[[ -z "$setup" ]] || cp "$setup" "$root/vigil-vm/setup.sh"

{
  echo "mem_max=$(shquote "$mem_max")"
  echo "wrap=$wrap"
  echo "ctty=$ctty"
  printf 'set --'
  for a in "$@"; do printf ' %s' "$(shquote "$a")"; done
  echo
  printf 'cg_writes() {\n'
  for w in "${cg_writes[@]}"; do
    printf '  cg_write %s %s\n' "$(shquote "${w%%=*}")" "$(shquote "${w#*=}")"
  done
  printf '  :\n}\n'
  printf 'collects() {\n'
  for c in "${collects[@]}"; do printf '  collect %s\n' "$(shquote "$c")"; done
  printf '  :\n}\n'
  for e in "${envs[@]}"; do echo "export ${e%%=*}=$(shquote "${e#*=}")"; done
} >"$root/vigil-vm/config"

cat >"$root/init" <<'EOF'
#!/bin/sh
# Guest /init, written by run-vm.sh.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
cg=/sys/fs/cgroup/vigil-test

fail() {
  echo "VIGIL_VM_INIT_ERROR $*"
  exit 125
}
cg_write() {
  echo "$2" >"$cg/$1" || fail "cannot write '$2' to $cg/$1"
}
collect() {
  if [ ! -r "$1" ]; then
    echo "VIGIL_VM_FILE_MISSING $1"
    return
  fi
  echo "VIGIL_VM_FILE_BEGIN $1"
  cat "$1"
  [ -z "$(tail -c 1 "$1")" ] || echo
  echo "VIGIL_VM_FILE_END $1"
}

mount -t proc proc /proc || fail "mount proc"
mount -t sysfs sysfs /sys || fail "mount sysfs"
mount -t devtmpfs devtmpfs /dev || echo "VIGIL_VM_WARNING no devtmpfs, keeping the static /dev"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null || :
mount -t tmpfs tmpfs /dev/shm 2>/dev/null || :
mount -t tmpfs tmpfs /tmp || fail "mount tmpfs /tmp"
mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "mount cgroup2"
grep -qw memory /sys/fs/cgroup/cgroup.controllers || fail "no memory controller in cgroup2"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control || fail "enable +memory"
mkdir -p "$cg" || fail "mkdir $cg"

. /vigil-vm/config
cg_write memory.max "$mem_max"
[ ! -e "$cg/memory.swap.max" ] || cg_write memory.swap.max 0
cg_writes
echo $$ >"$cg/cgroup.procs" || fail "cannot move /init into $cg"
cd /
if [ -r /vigil-vm/setup.sh ]; then
  . /vigil-vm/setup.sh || fail "setup script failed"
fi

# busybox setsid -c: setsid(), then TIOCSCTTY on stdin. PID 1 starts in
# process group 0, so setsid does not fork and COMMAND keeps its pid.
[ "$ctty" = 0 ] || set -- setsid -c "$@"
echo "VIGIL_VM_READY kernel=$(uname -r) cgroup=$(sed 's/^0:://' /proc/self/cgroup) memory.max=$(cat "$cg/memory.max")"
if [ "$wrap" = 0 ]; then
  exec "$@"
  fail "exec $1 failed"
fi
"$@"
rc=$?
echo "VIGIL_VM_COMMAND_EXIT=$rc"
collects
exit "$rc"
EOF
chmod 755 "$root/init"

initrd="$work/initramfs.cpio"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet >"$initrd") ||
  die "cpio failed"

# --- boot ------------------------------------------------------------------
cmdline="console=ttyS0 quiet panic=-1 rdinit=/init${append:+ $append}"
qemu=(qemu-system-x86_64 -accel "$accel" -m "$vm_mem" -smp "$cpus"
  -nodefaults -no-user-config -no-reboot -display none
  -chardev "stdio,id=con" -serial chardev:con
  -kernel "$boot_image" -initrd "$initrd" -append "$cmdline")
# qboot (qemu-system-data) starts the kernel about a second sooner than SeaBIOS.
[[ ! -r /usr/share/qemu/qboot.rom ]] || qemu+=(-bios /usr/share/qemu/qboot.rom)

[[ -z "$log_file" ]] || : >"$log_file" || die "cannot write --log '$log_file'"
[[ -z "$out_dir" ]] || mkdir -p "$out_dir" || die "cannot create --out '$out_dir'"

now_us() {
  local t="${EPOCHREALTIME/./}"
  echo "$((10#$t))"
}
# Prints microseconds $1 as seconds with two decimals.
fmt_s() { printf '%d.%02d' "$(($1 / 1000000))" "$(($1 % 1000000 / 10000))"; }

fifo="$work/console"
mkfifo "$fifo"
start_us="$(now_us)"
deadline_us=$((start_us + timeout_s * 1000000))
"${qemu[@]}" </dev/null >"$fifo" 2>"$work/qemu.err" &
qemu_pid=$!
exec 3<"$fifo"

ready_us=""
init_error=""
panic_status=""
timed_out=0
collecting=""
while :; do
  left_us=$((deadline_us - $(now_us)))
  if ((left_us <= 0)); then
    timed_out=1
    break
  fi
  line=""
  if IFS= read -r -t "$(fmt_s "$left_us")" -u 3 line; then
    :
  else
    rc=$?
    # Above 128: read timed out; otherwise end of file (qemu exited).
    if ((rc > 128)); then
      timed_out=1
      break
    fi
    [[ -n "$line" ]] || break
  fi
  line="${line%$'\r'}"
  [[ $quiet -eq 1 ]] || printf '%s\n' "$line"
  [[ -z "$log_file" ]] || printf '%s\n' "$line" >>"$log_file"
  case "$line" in
    "VIGIL_VM_INIT_ERROR "*)
      init_error="${line#VIGIL_VM_INIT_ERROR }"
      ;;
    VIGIL_VM_READY*)
      [[ -n "$ready_us" ]] || ready_us="$(now_us)"
      ;;
    *"Attempted to kill init! exitcode=0x"*)
      hex="${line##*exitcode=0x}"
      hex="${hex%%[!0-9a-fA-F]*}"
      [[ -n "$hex" ]] && panic_status=$((16#$hex))
      ;;
    "VIGIL_VM_FILE_BEGIN "*)
      if [[ -n "$out_dir" ]]; then
        collecting="$out_dir/$(basename "${line#VIGIL_VM_FILE_BEGIN }")"
        : >"$collecting"
      fi
      ;;
    "VIGIL_VM_FILE_END "*)
      collecting=""
      ;;
    *)
      [[ -z "$collecting" ]] || printf '%s\n' "$line" >>"$collecting"
      ;;
  esac
done

if [[ $timed_out -eq 1 ]]; then
  kill "$qemu_pid" 2>/dev/null || true
fi
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=""
exec 3<&-

if [[ -n "$ready_us" ]]; then
  echo "VM_BOOT_SECONDS=$(fmt_s $((ready_us - start_us)))"
fi
if [[ $timed_out -eq 1 ]]; then
  echo "$prog: timed out after ${timeout_s}s, qemu killed" >&2
  echo "VM_ERROR=timeout"
  exit 124
fi
if [[ -z "$panic_status" ]]; then
  cat "$work/qemu.err" >&2
  die "qemu exited ($qemu_rc) without PID 1 exiting"
fi
# The panic prints PID 1's wait status: exit code in bits 8-15, signal in 0-6.
if ((panic_status & 0x7f)); then
  code=$((128 + (panic_status & 0x7f)))
else
  code=$(((panic_status >> 8) & 0xff))
fi
if [[ -z "$ready_us" ]]; then
  die "guest /init failed before starting COMMAND: ${init_error:-status $code}"
fi
echo "VM_EXIT=$code"
exit "$code"
