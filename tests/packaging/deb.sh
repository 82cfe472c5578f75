#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# packaging/debian builds a .deb with `dpkg-buildpackage -b -us -uc` from a copy of the
# source tree (debian/ put at its root); the package holds the static /usr/bin/vigil and its
# manual page; lintian reports no error and no warning that is not overridden with a reason
# (packaging/debian/vigil.lintian-overrides); and, as root, the package installs with
# `dpkg -i`, where `vigil --version` and `man vigil` work, and is purged again.
# shellcheck source=pkglib.sh
. "$(dirname "$0")/pkglib.sh"

require_tools dpkg-buildpackage dpkg-parsechangelog dpkg-deb dh lintian scdoc meson ninja g++ man col file
plan 14

version=$(project_version)
arch=$(dpkg --print-architecture)
deb_version=$(dpkg-parsechangelog -l "$SOURCE_ROOT/packaging/debian/changelog" -S Version)
is "${deb_version%-*}" "$version" "debian/changelog's upstream version is meson.build's ($version)"

src=$TMP/vigil-$version
copy_tree "$src" || bail "cannot copy the source tree"
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

start=$(date +%s)
if (cd "$src" && dpkg-buildpackage -b -us -uc) >"$TMP/build.log" 2>&1; then
  ok "dpkg-buildpackage -b -us -uc succeeds ($(($(date +%s) - start)) s)"
else
  not_ok "dpkg-buildpackage -b -us -uc succeeds"
  tail_log "$TMP/build.log" 40
  bail "no package to check"
fi

deb=$TMP/vigil_${deb_version}_${arch}.deb
changes=$TMP/vigil_${deb_version}_${arch}.changes
[ -f "$deb" ] || bail "no $deb (found: $(cd "$TMP" && echo *.deb))"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
check "the package holds ./usr/bin/vigil" grep -qx './usr/bin/vigil' <<<"$contents"
check "the package holds the manual page ./usr/share/man/man1/vigil.1.gz" \
  grep -qx './usr/share/man/man1/vigil.1.gz' <<<"$contents"
check "the package holds its copyright file" grep -qx './usr/share/doc/vigil/copyright' <<<"$contents"

dpkg-deb -x "$deb" "$TMP/root"
info=$(file -L "$TMP/root/usr/bin/vigil")
check "the packaged vigil is statically linked" grep -q "statically linked" <<<"$info" ||
  diag "$info"
is "$("$TMP/root/usr/bin/vigil" --version)" "$("$TEST_VIGIL" --version)" \
  "the packaged vigil --version matches the build's"
sbu=$(dpkg-deb -f "$deb" Built-Using)
# shellcheck disable=SC2317  # called through check
names_static_sources() {
  grep -Eq '(^|, )glibc \(= [^)]+\)' <<<"$sbu" && grep -Eq '(^|, )libcap2 \(= [^)]+\)' <<<"$sbu"
}
check "Built-Using names glibc and libcap2 (static linking)" names_static_sources ||
  diag "got: '$sbu'"

# Overridden tags are reported as O: and are not shown; E: and W: must not appear at all.
# Informational, pedantic and experimental tags are listed, not failed.
lintian --no-cfg -I -E --pedantic "$changes" >"$TMP/lintian.log" 2>&1
lintian_rc=$?
problems=$(grep -E '^[EW]: ' "$TMP/lintian.log")
if [ "$lintian_rc" = 0 ] && [ -z "$problems" ] && ! grep -q '^internal error' "$TMP/lintian.log"; then
  ok "lintian: no errors, no warnings that are not overridden"
else
  not_ok "lintian: no errors, no warnings that are not overridden"
  diag "lintian exit $lintian_rc"
  tail_log "$TMP/lintian.log" 40
fi
other=$(grep -E '^[IPX]: ' "$TMP/lintian.log")
diag "lintian informational, pedantic and experimental tags: $(grep -c . <<<"$other")"
[ -z "$other" ] || diag "$other"

# --- installing it (root only: dpkg changes the machine; it is purged again) ---------------
if [ "$(id -u)" != 0 ]; then
  not_ok "dpkg -i needs root"
  for _ in 1 2 3 4; do not_ok "skipped: not root"; done
  done_testing
fi
if dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -q "install ok installed"; then
  # Never touch a vigil package someone installed on purpose.
  bail "a vigil package is already installed on this machine; remove it (dpkg -P vigil) first"
fi
on_exit 'dpkg -P vigil >/dev/null 2>&1'
# dpkg takes a lock; another package operation may hold it for a moment.
installed=false
for _ in $(seq 1 30); do
  if dpkg -i "$deb" >"$TMP/install.log" 2>&1; then
    installed=true
    break
  fi
  grep -q "lock" "$TMP/install.log" || break
  sleep 2
done
if $installed; then ok "dpkg -i installs the package"; else
  not_ok "dpkg -i installs the package"
  tail_log "$TMP/install.log"
fi
is "$(/usr/bin/vigil --version 2>&1)" "vigil $version" "the installed /usr/bin/vigil --version"
is "$(man -w vigil 2>&1)" "/usr/share/man/man1/vigil.1.gz" "man -w vigil finds the installed page"
page=$(MANWIDTH=80 man vigil 2>"$TMP/man.err" | col -b 2>/dev/null)
# shellcheck disable=SC2317  # called through check
shows_page() {
  grep -q "^NAME" <<<"$page" && grep -q "^OPTIONS" <<<"$page" && grep -q "^EVENTS" <<<"$page" &&
    ! [ -s "$TMP/man.err" ]
}
check "man vigil shows the page (NAME, OPTIONS, EVENTS) without warnings" shows_page ||
  diag "$(head -c 2000 "$TMP/man.err")"
if dpkg -P vigil >"$TMP/remove.log" 2>&1 && ! [ -e /usr/bin/vigil ] &&
  ! dpkg-query -W vigil >/dev/null 2>&1; then
  ok "dpkg -P vigil removes it again, leaving no trace in dpkg's database"
else
  not_ok "dpkg -P vigil removes it again, leaving no trace in dpkg's database"
  tail_log "$TMP/remove.log"
fi
done_testing
