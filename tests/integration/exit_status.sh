#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vigil exits with its child's code: the exit status, 128+N after a death by signal N, 0 for a
# code given to --remap-exit; 127 for a missing program and 126 for an unexecutable one.
. "$(dirname "$0")/lib.sh"
require_root

plan $((2 * 18))


printf '#!/bin/sh\nexit 0\n' >"$TMP/not-executable"
chmod 644 "$TMP/not-executable"
mkdir "$TMP/a-directory"

for mode in $MODES; do
  for code in 0 1 7 255; do
    rc=0
    run_vigil "$mode" 10 -- sh -c "exit $code" || rc=$?
    is "$rc" "$code" "$mode: the child's exit code $code is vigil's"
  done

  for sig in TERM:15 KILL:9 USR1:10; do
    name=${sig%%:*} num=${sig##*:}
    # The child resets the disposition it dies of: the test's caller may have ignored it.
    dfl=$num
    [ "$num" = 9 ] && dfl=15
    rc=0
    run_vigil "$mode" 10 -- "$H/withsigs" -d "$dfl" -- sh -c "kill -s $name \$\$; sleep 5" || rc=$?
    is "$rc" $((128 + num)) "$mode: a child killed by SIG$name gives $((128 + num))"
  done

  rc=0
  run_vigil "$mode" 10 -e 143 -- "$H/withsigs" -d 15 -- sh -c 'kill -s TERM $$; sleep 5' || rc=$?
  is "$rc" 0 "$mode: -e 143 turns a death by SIGTERM into 0"
  rc=0
  run_vigil "$mode" 10 -e 3 -e 9 -- sh -c 'exit 3' || rc=$?
  is "$rc" 0 "$mode: -e 3 -e 9 turns exit code 3 into 0"
  rc=0
  run_vigil "$mode" 10 -e 3 -- sh -c 'exit 4' || rc=$?
  is "$rc" 4 "$mode: -e 3 leaves exit code 4 alone"

  # check_exec_error CODE PROGRAM REASON-REGEX DESCRIPTION
  check_exec_error() {
    local want=$1 prog=$2 reason=$3 desc=$4 rc=0 err
    run_vigil "$mode" 10 -- "$prog" arg >"$TMP/out" 2>"$TMP/err" || rc=$?
    err=$(cat "$TMP/err")
    is "$rc" "$want" "$mode: $desc gives $want"
    if [ "$(lines_of "$TMP/err")" = 1 ] && grep -qF -- "$prog" "$TMP/err" &&
      grep -Eqi -- "$reason" "$TMP/err" && [ ! -s "$TMP/out" ]; then
      ok "$mode: $desc: one line on stderr naming the program and the reason"
    else
      not_ok "$mode: $desc: one line on stderr naming the program and the reason"
      diag "stderr: $err"
    fi
  }
  check_exec_error 127 /nonexistent/program "not found|no such file" "a missing program path"
  check_exec_error 127 no-such-program-in-path "not found|no such file" "a program missing from PATH"
  check_exec_error 126 "$TMP/not-executable" "permission denied|not executable" "a file without x bit"
  check_exec_error 126 "$TMP/a-directory" "permission denied|not executable|is a directory" "a directory"
done

done_testing
