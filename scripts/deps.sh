#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what building and testing vigil needs on Debian 12 (run as root). Idempotent: when
# every package is already there, it does not touch the network.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config file
  libcap-dev nlohmann-json3-dev doctest-dev scdoc
  util-linux procps psmisc python3 man-db libcap2-bin
  tini dumb-init catatonit
  python3-pytest python3-psutil
  # packaging: man page check, .deb and .rpm builds
  bsdextrautils python3-yaml git xz-utils
  dpkg-dev debhelper lintian rpm rpm2cpio cpio
  # container runtimes
  # (podman depends on "crun | runc": with runc in the same install, crun is not pulled in;
  # conmon and containers-common come as podman's dependencies)
  runc podman busybox-static
  # fuzzing
  clang libclang-rt-14-dev llvm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
