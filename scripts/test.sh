#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets everything up and runs every test: the static release build (unit and integration
# tests), then an ASan+UBSan build. Ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh || exit 1

summary() {  # counts meson's results for one build directory
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1] + "/meson-logs/testlog.json") as f:
        for line in f:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"): passed += 1
            elif r == "SKIP": skipped += 1
            else: failed += 1
except FileNotFoundError:
    failed += 1
print(passed, failed, skipped)
PY
}

status=0
total_pass=0 total_fail=0 total_skip=0
run_build() {  # name, meson options...
  local dir=$1
  shift
  echo "== $dir: $*"
  if [[ ! -f $dir/build.ninja ]]; then
    meson setup "$dir" --werror "$@" >"/tmp/vigil-setup-$dir.log" 2>&1 ||
      { cat "/tmp/vigil-setup-$dir.log"; status=1; total_fail=$((total_fail + 1)); return; }
  fi
  meson compile -C "$dir" || { status=1; total_fail=$((total_fail + 1)); return; }
  meson test -C "$dir" --print-errorlogs ${VIGIL_TEST_ARGS:-} || status=1
  read -r p f s < <(summary "$dir")
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
}

run_build build
run_build build-asan -Dstatic=false -Dbuildtype=debug -Db_sanitize=address,undefined \
  -Db_lundef=false -Db_lto=false
# libFuzzer targets of every parser, built with clang; only the fuzz suite runs there (the other
# suites ran above), each target for VIGIL_FUZZ_SECONDS (tests/fuzz/README.md).
CC=clang CXX=clang++ VIGIL_FUZZ_SECONDS=${VIGIL_FUZZ_SECONDS:-10} \
  VIGIL_TEST_ARGS="--suite fuzz ${VIGIL_TEST_ARGS:-}" \
  run_build build-fuzz -Dfuzz=true -Dstatic=false -Dbuildtype=debug -Db_sanitize=address,undefined \
  -Db_lundef=false -Db_lto=false

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $status
