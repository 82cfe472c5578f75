#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The EVENTS section of the manual page shows what vigil really prints. Two runs of vigil
(signals and exits; a memory action on a fake cgroup v2 tree) give real JSON events; every
example line of the page must be valid JSON whose event name and set of fields occur in the
real output (with a level vigil used for it), and every real event, with each of its field
sets, must have an example. TAP output.

Environment: TEST_VIGIL, MAN_SOURCE, FIXTURES (tests/fixtures)."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import tap
from tap import ok

VIGIL = os.environ["TEST_VIGIL"]
SOURCE = os.environ["MAN_SOURCE"]
FIXTURES = os.environ["FIXTURES"]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}



class Run:
    """vigil with its stderr read line by line in the background."""

    def __init__(self, args):
        self.lines = []
        self.cv = threading.Condition()
        self.p = subprocess.Popen([VIGIL] + args, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  env=ENV)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stderr:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()

    def wait_for(self, event, timeout=10):
        deadline = time.monotonic() + timeout
        with self.cv:
            while not any('"event":"%s"' % event in l for l in self.lines):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(left)
        return True

    def finish(self, timeout=20):
        try:
            code = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            code = self.p.wait()
        time.sleep(0.1)
        return code


def examples():
    """The JSON objects in the page's EVENTS section (wrapped lines joined)."""
    text = open(SOURCE, encoding="utf-8").read()
    m = re.search(r"^# EVENTS\n(.*?)^# ", text, re.S | re.M)
    if not m:
        return None, ["no EVENTS section"]
    found, bad, cur = [], [], None
    for line in m.group(1).splitlines():
        if line.startswith('{"ts"'):
            cur = line
        elif cur is not None and line.startswith(" "):
            cur += line[1:]
        else:
            cur = None
            continue
        try:
            found.append(json.loads(cur))
            cur = None
        except ValueError:
            pass  # continued on the next line
    return found, bad


def main():
    ex, bad = examples()
    if ex is None or not ex:
        print("Bail out! no examples in the EVENTS section: %s" % bad)
        sys.exit(1)
    print("1..5")
    tmp = tempfile.mkdtemp(prefix="vigil-events.")
    real = []
    try:
        # --- signals, a delayed signal, a leftover process, the exit ---------------------
        ready = os.path.join(tmp, "ready")
        r = Run(["-vv", "--log-format", "json", "--delay", "USR1:100ms", "-r", "HUP:0", "--",
                 "sh", "-c", 'trap "" USR2; trap "exit 3" USR1; : >"$0"; sleep 30 & wait; exit 9',
                 ready])
        started = r.wait_for("start")
        deadline = time.monotonic() + 10
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.02)  # the shell's traps are set
        for sig in (signal.SIGUSR2, signal.SIGTTIN, signal.SIGHUP, signal.SIGUSR1):
            r.p.send_signal(sig)
            time.sleep(0.1)
        code = r.finish()
        real += r.lines
        ok(started and code == 3, "a run with forwarded, ignored, dropped and delayed signals "
           "exits with the child's 3", ["exit %s" % code] + r.lines[-10:])

        # --- a memory action on a fake cgroup v2 tree ---------------------------------------
        cg = os.path.join(tmp, "cg")
        shutil.copytree(os.path.join(FIXTURES, "cgroup-v2"), cg)
        r = Run(["-v", "--log-format", "json", "--cgroup-root", cg, "--mem-limit", "100M",
                 "--mem-sustain", "2s", "--mem-interval", "50ms", "--mem-grace", "2s",
                 "--termination-log", os.path.join(tmp, "tlog"), "--",
                 "sh", "-c", 'trap "" TERM; sleep 20'])
        armed = r.wait_for("mem_armed")
        # The kernel OOM-kills something: memory.events changes in place (inotify sees it),
        # after the first sample (which takes oom_kill as its baseline) and well before the
        # action (2 s of --mem-sustain) and its end (2 s of grace).
        time.sleep(0.5)
        ev = os.path.join(cg, "memory.events")
        text = re.sub(r"(?m)^oom_kill \d+$", "oom_kill 1", open(ev).read())
        with open(ev, "r+") as f:
            f.write(text)
            f.truncate()
        code = r.finish()
        real += r.lines
        ok(armed and code == 137, "a memory action on a fake cgroup v2 tree exits 137",
           ["exit %s" % code] + r.lines[-10:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    events, unparsed = [], []
    for line in real:
        try:
            events.append(json.loads(line))
        except ValueError:
            unparsed.append(line)
    ok(not unparsed and events, "vigil printed only JSON lines", unparsed)

    shapes = {}  # (event, frozenset(keys)) -> levels seen
    for e in events:
        shapes.setdefault((e.get("event"), frozenset(e)), set()).add(e.get("level"))
    ex_shapes = {}
    for e in ex:
        ex_shapes.setdefault((e.get("event"), frozenset(e)), set()).add(e.get("level"))

    wrong = []
    for (name, keys), levels in ex_shapes.items():
        if (name, keys) not in shapes:
            near = [sorted(k) for (nm, k) in shapes if nm == name]
            wrong.append("example %s %s matches no real event (real: %s)"
                         % (name, sorted(keys), near or "none"))
        elif not levels <= shapes[(name, keys)]:
            wrong.append("example %s has level %s, vigil used %s"
                         % (name, sorted(levels), sorted(shapes[(name, keys)])))
    ok(not wrong, "every example in EVENTS (%d) is a real event with its real fields and level"
       % len(ex), wrong)
    undocumented = ["%s %s" % (name, sorted(keys)) for (name, keys) in shapes
                    if (name, keys) not in ex_shapes]
    ok(not undocumented, "every real event (%d kinds) has an example in EVENTS"
       % len({k[0] for k in shapes}), undocumented)
    sys.exit(tap.exit_code())


main()
