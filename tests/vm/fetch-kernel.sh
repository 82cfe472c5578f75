#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the VM harness needs (qemu, cpio) and unpacks Debian's stock
# kernel and a static busybox into a cache directory. Safe to run again: work
# already done is skipped. Prints the path of the kernel image on stdout.
#
# Environment: VIGIL_VM_CACHE  cache directory (default: tests/vm/cache)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${VIGIL_VM_CACHE:-$here/cache}"

die() { echo "fetch-kernel: $*" >&2; exit 1; }
note() { echo "fetch-kernel: $*" >&2; }

[[ "$(uname -m)" == x86_64 ]] || die "only x86_64 hosts are supported (got $(uname -m))"
command -v apt-get >/dev/null || die "apt-get not found: a Debian-based host is required"

apt_updated=0
apt_update() {
  if [[ $apt_updated -eq 0 ]]; then
    note "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    apt_updated=1
  fi
}

# Host tools: install only what is missing, so a second run needs no network.
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v cpio >/dev/null || missing+=(cpio)
command -v xz >/dev/null || missing+=(xz-utils)
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || die "need root to install: ${missing[*]}"
  apt_update
  note "installing ${missing[*]}"
  log="$(mktemp)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$log"
fi

# Resolve the versioned kernel package behind the linux-image-amd64 metapackage.
resolve_kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

# Downloads package $1 (without installing it) and unpacks it into $2.
# The .deb is fetched in a private temporary directory and deleted afterwards.
unpack_pkg() {
  local pkg="$1" dest="$2" tmp deb
  tmp="$(mktemp -d)"
  note "downloading $pkg"
  # As root, apt warns that the download runs unsandboxed; only show its
  # output when the download fails even after refreshing the package lists.
  if ! (cd "$tmp" && apt-get download -q "$pkg") >"$tmp/log" 2>&1; then
    apt_update
    if ! (cd "$tmp" && apt-get download -q "$pkg") >"$tmp/log" 2>&1; then
      cat "$tmp/log" >&2
      rm -rf "$tmp"
      die "apt-get download $pkg failed"
    fi
  fi
  local debs=("$tmp"/*.deb)
  deb="${debs[0]}"
  [[ -f "$deb" ]] || { rm -rf "$tmp"; die "no .deb downloaded for $pkg"; }
  rm -rf "$dest.partial"
  mkdir -p "$dest.partial"
  dpkg -x "$deb" "$dest.partial" || { rm -rf "$tmp" "$dest.partial"; die "dpkg -x $deb failed"; }
  rm -rf "$tmp" "$dest"
  mv "$dest.partial" "$dest"
}

mkdir -p "$cache"

# Static busybox for the initramfs. Unpacked rather than installed: the
# busybox-static package conflicts with the dynamic busybox that many hosts have.
if [[ ! -x "$cache/busybox-static/bin/busybox" ]]; then
  unpack_pkg busybox-static "$cache/busybox-static"
  [[ -x "$cache/busybox-static/bin/busybox" ]] || die "busybox-static has no bin/busybox"
fi

kpkg="$(resolve_kernel_pkg)"
if [[ -z "$kpkg" ]]; then
  apt_update
  kpkg="$(resolve_kernel_pkg)"
fi
if [[ -z "$kpkg" ]]; then
  # No package lists and no network: fall back to whatever kernel is cached.
  kpkg="$(find "$cache" -mindepth 1 -maxdepth 1 -name 'linux-image-*' -printf '%f\n' | sort -V | tail -n1)"
  [[ -n "$kpkg" ]] || die "cannot resolve the package behind linux-image-amd64"
  note "cannot resolve linux-image-amd64, using cached $kpkg"
fi

kdir="$cache/$kpkg"
images=("$kdir"/boot/vmlinuz-*)
if [[ ! -f "${images[0]}" ]]; then
  unpack_pkg "$kpkg" "$kdir"
  # Only boot/ (image and config) is used; the modules are ~400 MB unpacked.
  find "$kdir" -mindepth 1 -maxdepth 1 ! -name boot -exec rm -rf {} +
fi
images=("$kdir"/boot/vmlinuz-*)
vmlinuz="${images[0]}"
[[ -r "$vmlinuz" ]] || die "no readable vmlinuz in $kdir/boot"

# The harness relies on these being built in (no modules in the initramfs).
configs=("$kdir"/boot/config-*)
config="${configs[0]}"
if [[ -f "$config" ]]; then
  for opt in CONFIG_BLK_DEV_INITRD CONFIG_DEVTMPFS CONFIG_MEMCG CONFIG_CGROUPS \
    CONFIG_SERIAL_8250 CONFIG_SERIAL_8250_CONSOLE; do
    grep -qx "$opt=y" "$config" || die "$kpkg lacks built-in $opt (see $config)"
  done
fi

# Under software emulation the guest spends ~8 s unpacking its own xz-packed
# image, so keep an unpacked copy: vmlinux is an ELF with a PVH entry note
# (CONFIG_PVH) that qemu boots directly. The xz stream starts at its magic
# bytes inside the bzImage; trailing bytes after the stream are ignored.
vmlinux="$kdir/boot/vmlinux"
if [[ ! -s "$vmlinux" ]] && grep -qsx 'CONFIG_PVH=y' "$config"; then
  off="$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1 || true)"
  if [[ -n "$off" ]] &&
    # xz stops reading at the end of the stream; tail's SIGPIPE is expected.
    { tail -c "+$((off + 1))" "$vmlinuz" || true; } |
    xz -dc --single-stream >"$vmlinux.partial" 2>/dev/null &&
    [[ "$(head -c 4 "$vmlinux.partial" | od -An -c | tr -d ' ')" == '177ELF' ]]; then
    mv "$vmlinux.partial" "$vmlinux"
  else
    rm -f "$vmlinux.partial"
    note "could not unpack vmlinux from $vmlinuz; booting the packed image (slower)"
  fi
fi

echo "$vmlinuz"
