#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The manual page Meson builds with scdoc renders cleanly: `MANWIDTH=80 man --warnings` says
# nothing, no line is wider than 80 columns, its header carries the binary's version, it has
# the expected sections, and lexgrog (what mandb indexes for whatis/apropos) reads its NAME.
#
# Environment: MAN_PAGE (the built page), TEST_VIGIL, SOURCE_ROOT.
# shellcheck source=pkglib.sh
. "$(dirname "$0")/pkglib.sh"
: "${MAN_PAGE:?MAN_PAGE must name the built page}"

require_tools man lexgrog scdoc col
[ -f "$MAN_PAGE" ] || bail "$MAN_PAGE was not built (is scdoc installed? meson setup -Dman=enabled)"
plan 6

MANWIDTH=80 man --warnings -l "$MAN_PAGE" >"$TMP/page.txt" 2>"$TMP/warnings.txt"
rc=$?
if [ "$rc" = 0 ] && ! [ -s "$TMP/warnings.txt" ]; then
  ok "MANWIDTH=80 man --warnings prints no warning"
else
  not_ok "MANWIDTH=80 man --warnings prints no warning"
  diag "exit $rc"
  tail_log "$TMP/warnings.txt"
fi

wide=$(col -b <"$TMP/page.txt" | awk 'length > 80 { print NR ": " $0 }')
is "$wide" "" "no rendered line is wider than 80 columns"

version=$("$TEST_VIGIL" --version)
th=$(grep -m1 '^\.TH ' "$MAN_PAGE")
check "the page header carries '$version'" grep -qF "\"$version\"" <<<"$th" || diag "$th"

missing=()
for s in NAME SYNOPSIS DESCRIPTION OPTIONS VALUES ENVIRONMENT "CONFIGURATION FILE" SIGNALS \
  "MEMORY POLICY" "HEALTH CHECK" EVENTS "EXIT STATUS" FILES "COMPATIBILITY MODES" EXAMPLES \
  "SEE ALSO"; do
  col -b <"$TMP/page.txt" | grep -qx "$s" || missing+=("$s")
done
is "${missing[*]}" "" "the page has every section"

is "$(lexgrog "$MAN_PAGE" 2>&1 | sed 's/^[^:]*: *//')" \
  "\"vigil - a container init that reaps zombies, forwards signals and polices memory\"" \
  "lexgrog reads the NAME line (whatis, apropos)"

# The built page is the source with only the version filled in (the date in .TH aside).
built_from=$(sed "s/@VERSION@/${version#vigil }/" "$SOURCE_ROOT/man/vigil.1.scd" | scdoc 2>&1 |
  grep -v '^\.TH ')
if [ "$built_from" == "$(grep -v '^\.TH ' "$MAN_PAGE")" ]; then
  ok "the built page is man/vigil.1.scd as it is now"
else
  not_ok "the built page is man/vigil.1.scd as it is now (rebuild: meson compile)"
fi
done_testing
