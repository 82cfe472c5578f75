# SPDX-License-Identifier: Apache-2.0
"""Ignores SIGUSR1 and runs a sleep that does not; exits when the sleep ends. Only a signal
to the whole process group (tini -g) ends it."""
import signal
import subprocess

signal.signal(signal.SIGUSR1, signal.SIG_IGN)
p = subprocess.Popen(["sleep", "60"],
                     preexec_fn=lambda: signal.signal(signal.SIGUSR1, signal.SIG_DFL))
p.wait()
