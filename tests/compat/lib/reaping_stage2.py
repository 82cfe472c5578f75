# SPDX-License-Identifier: Apache-2.0
"""Forks two short-lived processes and exits at once, orphaning them: they become zombies of
whoever adopts them."""
import os
import time

for _ in range(2):
    if os.fork() == 0:
        time.sleep(1)
        os._exit(0)
os._exit(0)
