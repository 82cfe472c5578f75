#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# packaging/rpm/vigil.spec builds an RPM with `rpmbuild -bb` from a `meson dist` tarball of the
# source tree as it is on disk (a temporary git clone of it, uncommitted files included, since
# meson dist archives the committed tree). BuildRequires name Fedora packages, which Debian's
# rpm database cannot satisfy: hence --nodeps. The RPM holds /usr/bin/vigil (static) and the
# manual page.
# shellcheck source=pkglib.sh
. "$(dirname "$0")/pkglib.sh"

require_tools rpmbuild rpm rpm2cpio cpio git meson ninja g++ scdoc xz file
plan 10

version=$(project_version)
spec=$SOURCE_ROOT/packaging/rpm/vigil.spec
is "$(sed -n 's/^Version: *//p' "$spec")" "$version" "the spec's Version is meson.build's ($version)"

# --- the dist tarball, from a throw-away commit of the tree --------------------------------
src=$TMP/src
copy_tree "$src" || bail "cannot copy the source tree"
(
  cd "$src" && git init -q && git add -A &&
    git -c user.name=vigil-test -c user.email=test@vigil.invalid -c commit.gpgsign=false \
      commit -q -m "packaging test snapshot"
) >"$TMP/git.log" 2>&1 || { tail_log "$TMP/git.log"; bail "cannot commit the snapshot"; }
if meson setup "$TMP/dist-build" "$src" -Dtests=false -Dman=disabled >"$TMP/dist.log" 2>&1 &&
  meson dist -C "$TMP/dist-build" --no-tests --formats xztar >>"$TMP/dist.log" 2>&1; then
  ok "meson dist --no-tests --formats xztar makes a tarball"
else
  not_ok "meson dist --no-tests --formats xztar makes a tarball"
  tail_log "$TMP/dist.log"
  bail "no tarball"
fi
tarball=$TMP/dist-build/meson-dist/vigil-$version.tar.xz
[ -f "$tarball" ] || bail "no $tarball"
listing=$(tar -tJf "$tarball")
# shellcheck disable=SC2317  # called through check
tarball_complete() {
  local f
  for f in meson.build src/main.cpp man/vigil.1.scd packaging/rpm/vigil.spec LICENSE; do
    grep -qx "vigil-$version/$f" <<<"$listing" || { diag "missing $f"; return 1; }
  done
}
check "the tarball holds the sources, the spec and the manual page source" tarball_complete

# --- rpmbuild ---------------------------------------------------------------------------
top=$TMP/rpmbuild
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS} && cp "$tarball" "$top/SOURCES/"
start=$(date +%s)
if rpmbuild -bb --nodeps --define "_topdir $top" "$spec" >"$TMP/rpmbuild.log" 2>&1; then
  ok "rpmbuild -bb --nodeps succeeds ($(($(date +%s) - start)) s)"
else
  not_ok "rpmbuild -bb --nodeps succeeds"
  tail_log "$TMP/rpmbuild.log" 40
  bail "no RPM to check"
fi
rpms=("$top"/RPMS/*/vigil-"$version"-*.rpm)
[ -f "${rpms[0]}" ] || bail "no RPM in $top/RPMS"
is "${#rpms[@]}" 1 "one binary RPM (no debuginfo package): $(basename "${rpms[0]}")"
rpmfile=${rpms[0]}

files=$(rpm -qlp "$rpmfile" 2>/dev/null)
check "rpm -qlp lists /usr/bin/vigil" grep -qx /usr/bin/vigil <<<"$files"
check "rpm -qlp lists the manual page /usr/share/man/man1/vigil.1*" \
  grep -Eqx '/usr/share/man/man1/vigil\.1(\.gz|\.bz2|\.xz|\.zst)?' <<<"$files"
is "$(rpm -qp --queryformat '%{NAME} %{VERSION} %{LICENSE}' "$rpmfile" 2>/dev/null)" \
  "vigil $version Apache-2.0" "the RPM's name, version and licence"

mkdir -p "$TMP/root"
(cd "$TMP/root" && rpm2cpio "$rpmfile" | cpio -idm --quiet) || bail "cannot unpack the RPM"
info=$(file -L "$TMP/root/usr/bin/vigil")
if grep -q "statically linked" <<<"$info"; then ok "the packaged vigil is statically linked"; else
  not_ok "the packaged vigil is statically linked"
  diag "$info"
fi
is "$("$TMP/root/usr/bin/vigil" --version)" "$("$TEST_VIGIL" --version)" \
  "the packaged vigil --version matches the build's"
done_testing
