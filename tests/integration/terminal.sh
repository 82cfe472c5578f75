#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# On a terminal vigil hands the foreground to its child's process group, so Ctrl-C reaches
# the program and vigil exits 130; in the background it leaves the terminal alone.
. "$(dirname "$0")/lib.sh"
require_root
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "needs $PY (pty module)"

plan 8

# drive.py [--intr] [--background] -- COMMAND...: runs COMMAND on a new pseudo-terminal as
# the session leader (as docker run -it does), prints its output, then status=N. --intr types
# Ctrl-C once the output shows READY; --background runs COMMAND in a process group that is not
# the terminal's foreground group.
cat >"$TMP/drive.py" <<'PYEOF'
import os, pty, select, sys, time

def main():
    args = sys.argv[1:]
    intr = background = False
    while args and args[0].startswith('--'):
        opt = args.pop(0)
        if opt == '--intr': intr = True
        elif opt == '--background': background = True
        elif opt == '--': break
    pid, fd = pty.fork()
    if pid == 0:
        try:
            if background:
                c = os.fork()
                if c == 0:
                    os.setpgid(0, 0)
                    os.execvp(args[0], args)
                _, st = os.waitpid(c, 0)
                code = os.waitstatus_to_exitcode(st)
                os._exit(code if code >= 0 else 128 - code)
            os.execvp(args[0], args)
        finally:
            os._exit(127)
    out = b''
    sent = False
    status = None
    deadline = time.monotonic() + 15
    def drain(wait):
        nonlocal out
        r, _, _ = select.select([fd], [], [], wait)
        if not r: return False
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        out += data
        return bool(data)
    while time.monotonic() < deadline:
        drain(0.05)
        if intr and not sent and b'READY' in out:
            time.sleep(0.2)
            os.write(fd, b'\x03')
            sent = True
        wp, st = os.waitpid(pid, os.WNOHANG)
        if wp == pid:
            status = st
            break
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    while drain(0.1):
        pass
    sys.stdout.write(out.decode(errors='replace').replace('\r', ''))
    print('\nstatus=%s' % ('timeout' if status is None else os.waitstatus_to_exitcode(status)))

main()
PYEOF

probe="$H/ttyinfo; echo READY; exec sleep 30"

# tty_case DESCRIPTION-PREFIX EXPECT-FG DRIVER-ARGS...
tty_case() {
  local desc=$1
  shift
  local out pgrp tpgid status
  out=$(timeout -k 3 30 "$PY" "$TMP/drive.py" "$@" 2>&1)
  pgrp=$(sed -n 's/.*pgrp=\([0-9-]*\) .*/\1/p' <<<"$out" | head -n1)
  tpgid=$(sed -n 's/.*tpgid=\([0-9-]*\).*/\1/p' <<<"$out" | head -n1)
  status=$(sed -n 's/^status=//p' <<<"$out")
  TTY_OUT=$out TTY_PGRP=$pgrp TTY_TPGID=$tpgid TTY_STATUS=$status
}

fg_check() {
  if [ -n "$TTY_PGRP" ] && [ "$TTY_PGRP" != 0 ] && [ "$TTY_PGRP" = "$TTY_TPGID" ]; then
    ok "$1"
  else
    not_ok "$1"
    diag "$TTY_OUT"
  fi
}

# Subreaper: vigil is the session leader of the terminal.
tty_case subreaper --intr -- "$TEST_VIGIL" -- sh -c "$probe"
fg_check "subreaper: the child's process group is the terminal's foreground group"
is "$TTY_STATUS" 130 "subreaper: Ctrl-C on the terminal ends the child; vigil exits 130"

# PID 1 as under docker run -it: the namespace's init leads the session of the terminal.
tty_case pid1 --intr -- unshare --pid --fork --mount-proc -- setsid --ctty "$TEST_VIGIL" -- sh -c "$probe"
fg_check "pid1 (session leader): the child's process group is the terminal's foreground group"
is "$TTY_STATUS" 130 "pid1 (session leader): Ctrl-C ends the child; vigil exits 130"

# PID 1 under a plain unshare: vigil is in the terminal's foreground group, but that group
# (unshare's) is not visible inside the namespace.
tty_case pid1 --intr -- unshare --pid --fork --mount-proc -- "$TEST_VIGIL" -- sh -c "$probe"
fg_check "pid1 (in the foreground group of a plain unshare): the child's group gets the foreground"
is "$TTY_STATUS" 130 "pid1 (plain unshare): Ctrl-C ends the child; vigil exits 130"

# In the background vigil must not steal the terminal from the shell that started it.
tty_case subreaper --background -- "$TEST_VIGIL" -- sh -c "$H/ttyinfo; echo READY"
if [ -n "$TTY_PGRP" ] && [ -n "$TTY_TPGID" ] && [ "$TTY_PGRP" != "$TTY_TPGID" ]; then
  ok "background: vigil started in the background leaves the terminal's foreground alone"
else
  not_ok "background: vigil started in the background leaves the terminal's foreground alone"
  diag "$TTY_OUT"
fi

# Without a terminal, nothing is attempted and the child runs normally.
got=$(run_vigil subreaper 10 -- sh -c 'echo fine' </dev/null 2>&1)
is "$got" fine "no terminal on stdin: the child runs and vigil prints nothing"

done_testing
