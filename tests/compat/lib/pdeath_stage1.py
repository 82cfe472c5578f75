# SPDX-License-Identifier: Apache-2.0
"""Starts `tini -p SIGUSR1 -- pdeath_stage2 FILE` and exits once stage 2 is ready, so that tini's
parent dies under it. Usage: pdeath_stage1.py TINI FILE"""
import os
import subprocess
import sys
import time

tini, path = sys.argv[1], sys.argv[2]
stage2 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pdeath_stage2.py")
subprocess.Popen([tini, "-p", "SIGUSR1", "--", sys.executable, stage2, path])
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    with open(path) as f:
        if f.read() == "ready":
            sys.exit(0)
    time.sleep(0.01)
sys.exit(1)
