#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The built binary is linked as configured: static and stripped by default, dynamic with
# -Dstatic=false. Also smoke-tests --version and `vigil -- true`.
set -u
n=0 fail=0
check() {  # description, command...
  local d=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=1; fi
}
echo "1..4"
info=$(file -L "$TEST_VIGIL")
if [[ $EXPECT_STATIC == true ]]; then
  check "binary is statically linked" grep -q "statically linked" <<<"$info"
else
  check "binary is dynamically linked" grep -q "dynamically linked" <<<"$info"
fi
if [[ $EXPECT_STRIPPED == true ]]; then
  check "binary is stripped" grep -q ", stripped" <<<"$info"
else
  check "binary keeps its symbols (debug build)" grep -q "not stripped" <<<"$info"
fi
check "--version names vigil" grep -q "^vigil [0-9]" < <("$TEST_VIGIL" --version)
check "vigil -- true exits 0" "$TEST_VIGIL" -- true
exit $fail
