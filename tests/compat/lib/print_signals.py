# SPDX-License-Identifier: Apache-2.0
"""Prints "ready (pid: N)", then the number of every signal it receives, one per line.
Run as `python3 -m print_signals`."""
import os
import signal
import sys
import time

CATCHABLE = [s for s in range(1, 32) if s not in (signal.SIGKILL, signal.SIGSTOP)]
received = []


def handler(signum, _frame):
    received.append(signum)


for s in CATCHABLE:
    signal.signal(s, handler)

print("ready (pid: %d)" % os.getpid(), flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    while received:
        print(received.pop(0), flush=True)
    time.sleep(0.005)  # handlers run as soon as the sleep is interrupted
sys.exit(3)
