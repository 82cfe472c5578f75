# SPDX-License-Identifier: Apache-2.0
"""Run as the child of an init. Starts stage 2, which leaves two orphans in this process' group,
waits until the init (this process' parent) has no descendant but this process, then looks for
members of its group elsewhere on the machine: exit 0 when the orphans were reaped by the init,
exit 1 when they escaped to another parent (the init was neither PID 1 nor a subreaper)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proc  # noqa: E402

subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "reaping_stage2.py")], check=True)
init = os.getppid()
me = os.getpid()
deadline = time.monotonic() + 10
while proc.descendants(init) - {me}:
    if time.monotonic() > deadline:
        print("still there: %s" % sorted(proc.descendants(init) - {me}), flush=True)
        sys.exit(1)
    time.sleep(0.05)

group = os.getpgid(0)
escaped = []
for entry in os.listdir("/proc"):
    if not entry.isdigit() or int(entry) == me:
        continue
    try:
        if os.getpgid(int(entry)) == group:
            escaped.append(int(entry))
    except OSError:
        pass
if escaped:
    print("not reaped by pid %d: %s" % (init, escaped), flush=True)
    sys.exit(1)
print("reaped: only stage 1 is left under pid %d" % init, flush=True)
sys.exit(0)
