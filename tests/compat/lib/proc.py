# SPDX-License-Identifier: Apache-2.0
"""Process-tree helpers for the compat tests, read straight from /proc."""
import os
import re
import time


def children(pid):
    """Direct children of pid."""
    out = set()
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                out.update(int(c) for c in f.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def descendants(pid):
    out = set()
    todo = [pid]
    while todo:
        for c in children(todo.pop()):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def alive(pid):
    """True while pid exists and is not a zombie."""
    return state(pid) not in (None, "zombie", "dead")


def state(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"^State:\s+\S+ \(([a-z ]+)\)$", f.read(), re.MULTILINE)
            return m.group(1) if m else None
    except (FileNotFoundError, ProcessLookupError):
        return None


def wait_until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


def kill_tree(pid, sig=9):
    for p in descendants(pid) | {pid}:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None
