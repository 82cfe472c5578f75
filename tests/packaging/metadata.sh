#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The packaging files agree with the source tree, cheaply (the package builds themselves are
# the slow packaging/deb, packaging/rpm and packaging/docker_build tests): every one carries
# meson.build's version, which `vigil --version` prints; the APKBUILD, which cannot be built
# here, is valid shell; and the Dockerfile copies only files that exist.
# shellcheck source=pkglib.sh
. "$(dirname "$0")/pkglib.sh"

require_tools dpkg-parsechangelog sh
plan 7
P=$SOURCE_ROOT/packaging
version=$(project_version)
[ -n "$version" ] || bail "no version in meson.build"

is "$("$TEST_VIGIL" --version)" "vigil $version" "vigil --version prints meson.build's version"
deb=$(dpkg-parsechangelog -l "$P/debian/changelog" -S Version)
is "${deb%-*}" "$version" "packaging/debian/changelog: $deb"
is "$(sed -n 's/^Version: *//p' "$P/rpm/vigil.spec")" "$version" "packaging/rpm/vigil.spec: Version"
is "$(sed -n 's/^pkgver=//p' "$P/alpine/APKBUILD")" "$version" "packaging/alpine/APKBUILD: pkgver"

if sh -n "$P/alpine/APKBUILD" 2>"$TMP/sh.err"; then
  ok "packaging/alpine/APKBUILD is valid POSIX shell"
else
  not_ok "packaging/alpine/APKBUILD is valid POSIX shell"
  tail_log "$TMP/sh.err"
fi
# shellcheck disable=SC1091,SC2154
names=$(cd "$TMP" && . "$P/alpine/APKBUILD" && echo "$pkgname $source")
is "$names" "vigil vigil-$version.tar.xz" "the APKBUILD builds from meson dist's tarball name"

missing=()
while read -r src; do
  [ -e "$SOURCE_ROOT/$src" ] || missing+=("$src")
done < <(grep '^COPY ' "$P/docker/Dockerfile" | grep -v -- '--from=' |
  awk '{ for (i = 2; i < NF; i++) print $i }')
n_copies=$(grep '^COPY ' "$P/docker/Dockerfile" | grep -vc -- '--from=')
if [ "$n_copies" -gt 0 ] && [ ${#missing[@]} = 0 ]; then
  ok "the Dockerfile's COPY sources exist ($n_copies COPY lines)"
else
  not_ok "the Dockerfile's COPY sources exist"
  diag "missing: ${missing[*]}; COPY lines: $n_copies"
fi
done_testing
