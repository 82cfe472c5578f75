# SPDX-License-Identifier: Apache-2.0
"""Writes "ready" to FILE, then "ok" when SIGUSR1 arrives."""
import signal
import sys
import time

path = sys.argv[1]


def on_usr1(_s, _f):
    with open(path, "w") as f:
        f.write("ok")
    sys.exit(0)


signal.signal(signal.SIGUSR1, on_usr1)
with open(path, "w") as f:
    f.write("ready")
time.sleep(30)
sys.exit(1)
