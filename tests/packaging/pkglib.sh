# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the packaging tests; sourced by their scripts. TAP output (plan, ok,
# not_ok, is, check, diag, bail), a temporary directory removed on exit, and a copy of the
# source tree as it is in the working directory (committed or not).
#
# Environment: SOURCE_ROOT (the source tree), TEST_VIGIL (the built binary).

set -u
: "${SOURCE_ROOT:?SOURCE_ROOT must name the source tree}"
: "${TEST_VIGIL:?TEST_VIGIL must name the vigil binary}"

# Any VIGIL_* variable would change what the binaries under test do.
for _v in $(compgen -e); do
  case $_v in VIGIL_*) unset "$_v" ;; esac
done
unset _v

_tap_n=0
_tap_failed=0
plan() { echo "1..$1"; }
diag() {
  local line
  while IFS= read -r line; do echo "# $line"; done <<<"$*"
}
ok() {
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n - $*"
}
not_ok() {
  _tap_n=$((_tap_n + 1))
  _tap_failed=1
  echo "not ok $_tap_n - $*"
}
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds; returns 1 otherwise, so that
# `check ... || diag ...` can explain a failure.
check() {
  local d=$1
  shift
  if "$@"; then ok "$d"; else not_ok "$d"; return 1; fi
}
# is GOT EXPECTED DESCRIPTION
is() {
  if [ "$1" == "$2" ]; then
    ok "$3"
  else
    not_ok "$3"
    diag "expected: '$2'"
    diag "     got: '$1'"
  fi
}
# bail REASON: stops the whole test as failed (TAP "Bail out!").
bail() {
  echo "Bail out! $*"
  exit 1
}
# tail_log FILE: the last lines of a build log, as TAP comments.
tail_log() { diag "$(tail -n "${2:-25}" "$1" 2>/dev/null)"; }
done_testing() { exit "$_tap_failed"; }

# require_tools TOOL...: bails out, naming every missing tool, when one is not installed.
require_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]} == 0)) || bail "missing tools: ${missing[*]} (scripts/deps.sh installs them)"
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-pkg.XXXXXX") || bail "mktemp failed"
_cleanup_hooks=()
_cleanup() {
  local h
  for h in "${_cleanup_hooks[@]}"; do eval "$h"; done
  rm -rf "$TMP"
}
trap _cleanup EXIT
# A timeout (meson sends SIGTERM) still runs the cleanup, e.g. a package is removed again.
trap 'exit 143' TERM INT HUP
# on_exit COMMAND: run COMMAND (a string) when the script exits, before $TMP is removed.
on_exit() { _cleanup_hooks+=("$1"); }

# The project version, from meson.build.
project_version() {
  sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$SOURCE_ROOT/meson.build" | head -n 1
}

# copy_tree DEST: the source tree's files into DEST (created), as they are on disk. In a git
# checkout: the tracked and the untracked but not ignored files (never build directories);
# otherwise everything but build* directories.
copy_tree() {
  local dest=$1
  mkdir -p "$dest" || return 1
  if git -C "$SOURCE_ROOT" rev-parse --show-toplevel >/dev/null 2>&1; then
    (cd "$SOURCE_ROOT" && git ls-files -z -co --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf -) | tar -C "$dest" -xf -
  else
    tar -C "$SOURCE_ROOT" --exclude='./build*' -cf - . | tar -C "$dest" -xf -
  fi
}
