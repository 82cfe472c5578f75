# SPDX-License-Identifier: Apache-2.0
"""vigil under the name dumb-init: every behaviour dumb-init's own suite checks (options,
variables, debug output, setsid and the terminal, signal proxying and rewriting, suspension,
exit codes, the working directory), plus vigil's memory policing through VIGIL_* variables."""
import os
import pty
import re
import signal
import subprocess
import sys
import termios
import time

import pytest

import proc
from conftest import VIGIL

PY = sys.executable
SUSPEND_SIGNALS = [signal.SIGTSTP, signal.SIGTTOU, signal.SIGTTIN]
NORMAL_SIGNALS = sorted(set(range(1, 32)) - {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD}
                        - set(SUSPEND_SIGNALS))
VERSION_LINE = re.compile(rb"^dumb-init v[0-9]+\.[0-9]+\.[0-9]+ - vigil\n")


def run(args, timeout=30, **kw):
    return subprocess.run(args, timeout=timeout, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          **kw)


def expected_version():
    r = run([VIGIL, "--version"])
    return r.stdout.decode().split()[1]


# --- command line -----------------------------------------------------------------------------

@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_no_arguments_prints_usage():
    r = run(["dumb-init"])
    assert r.returncode == 1
    assert r.stderr.startswith(b"dumb-init: no program given (usage: dumb-init [option] program")
    assert r.stderr.count(b"\n") == 1


@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_exits_1_on_an_unknown_option(tmp_path):
    r = run(["dumb-init", "--yolo", "touch", str(tmp_path / "ran")])
    assert r.returncode == 1
    assert r.stderr.startswith(b"dumb-init: unrecognized option '--yolo'")
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("flag", ["-h", "--help", "--he"])
@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_help_message(flag):
    r = run(["dumb-init", flag])
    assert r.returncode == 0
    assert r.stdout == b""
    assert VERSION_LINE.match(r.stderr), r.stderr
    for opt in (b"-c, --single-child", b"-r, --rewrite s:r", b"-v, --verbose", b"-h, --help",
                b"-V, --version"):
        assert opt in r.stderr


@pytest.mark.parametrize("flag", ["-V", "--version"])
@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_version_message(flag):
    r = run(["dumb-init", flag])
    assert r.returncode == 0
    assert r.stderr == ("dumb-init v%s - vigil\n" % expected_version()).encode()


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose(flag):
    r = run(["dumb-init", flag, "echo", "oh,", "hi"])
    assert r.returncode == 0
    assert r.stdout == b"oh, hi\n"
    assert re.search(rb"(^|\n)\[dumb-init\] setsid complete\.\n", r.stderr), r.stderr
    assert re.search(
        (r"(^|\n)\[dumb-init\] Child spawned with PID [0-9]+\.\n"
         r".*"
         r"\[dumb-init\] Received signal {chld}\.\n"
         r"\[dumb-init\] A child with PID [0-9]+ exited with exit status 0\.\n"
         r"\[dumb-init\] Forwarded signal 15 to children\.\n"
         r"\[dumb-init\] Child exited with status 0\. Goodbye\.\n$"
         ).format(chld=int(signal.SIGCHLD)).encode(), r.stderr, re.DOTALL), r.stderr


@pytest.mark.parametrize("flag1", ["-v", "--verbose"])
@pytest.mark.parametrize("flag2", ["-c", "--single-child"])
def test_verbose_and_single_child(flag1, flag2):
    r = run(["dumb-init", flag1, flag2, "echo", "oh,", "hi"])
    assert r.returncode == 0
    assert r.stdout == b"oh, hi\n"
    assert re.match(
        (r"^\[dumb-init\] Child spawned with PID [0-9]+\.\n"
         r"\[dumb-init\] Received signal {chld}\.\n"
         r"\[dumb-init\] A child with PID [0-9]+ exited with exit status 0\.\n"
         r"\[dumb-init\] Forwarded signal 15 to children\.\n"
         r"\[dumb-init\] Child exited with status 0\. Goodbye\.\n$"
         ).format(chld=int(signal.SIGCHLD)).encode(), r.stderr), r.stderr


def test_debug_variable_turns_on_the_same_output(monkeypatch):
    monkeypatch.setenv("DUMB_INIT_DEBUG", "1")
    r = run(["dumb-init", "-c", "true"])
    assert b"[dumb-init] Child spawned with PID" in r.stderr
    monkeypatch.setenv("DUMB_INIT_DEBUG", "yes")  # only "1" turns it on
    r = run(["dumb-init", "-c", "true"])
    assert r.stderr == b""


@pytest.mark.parametrize("extra_args", [
    ("-r",),
    ("-r", ""),
    ("-r", "herp"),
    ("-r", "herp:derp"),
    ("-r", "15"),
    ("-r", "15::12"),
    ("-r", "15:derp"),
    ("-r", "15:12", "-r"),
    ("-r", "15:12", "-r", "0"),
    ("-r", "15:12", "-r", "1:32"),
    ("-r", "0:1"),
    ("--rewrite=32:1",),
])
@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_rewrite_errors(extra_args, tmp_path):
    marker = tmp_path / "ran"
    r = run(("dumb-init",) + extra_args + ("touch", str(marker)))
    assert r.returncode == 1, r.stderr
    assert b"-r" in r.stderr or b"--rewrite" in r.stderr
    assert b"FROM:TO" in r.stderr
    assert r.stderr.count(b"\n") == 1
    assert not marker.exists()


def test_parsing_stops_at_the_first_non_option():
    r = run(["dumb-init", "echo", "-v", "-c"])
    assert r.returncode == 0 and r.stdout == b"-v -c\n" and r.stderr == b""


def test_bad_vigil_variable_is_exit_2(monkeypatch):
    monkeypatch.setenv("VIGIL_CLEANUP_GRACE", "soon")
    r = run(["dumb-init", "true"])
    assert r.returncode == 2 and b"VIGIL_CLEANUP_GRACE" in r.stderr


def test_compat_option_under_any_name():
    r = run([VIGIL, "--compat", "dumb-init", "-V"])
    assert r.stderr.startswith(b"dumb-init v")
    r = run([VIGIL, "--compat", "bogus", "true"])
    assert r.returncode == 2 and b"--compat" in r.stderr


# --- exit status and working directory --------------------------------------------------------

@pytest.mark.parametrize("exit_status", [0, 1, 2, 32, 64, 127, 254, 255])
@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_exit_status_regular_exit(exit_status):
    assert run(["dumb-init", "sh", "-c", "exit %d" % exit_status]).returncode == exit_status


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGKILL])
@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_exit_status_terminated_by_signal(signum):
    r = run(["dumb-init", "sh", "-c", "kill -%d $$" % signum])
    assert r.returncode == 128 + signum


@pytest.mark.parametrize("args", [
    ("/doesnotexist",),
    ("--", "/doesnotexist"),
    ("-c", "/doesnotexist"),
    ("--single-child", "--", "/doesnotexist"),
])
@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_fails_nonzero_with_bad_exec(args):
    r = run(("dumb-init",) + args)
    # dumb-init itself exits 2 here; vigil uses the shells' 127 for "not found".
    assert r.returncode == 127
    assert b"[dumb-init] /doesnotexist: No such file or directory\n" in r.stderr


@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_working_directories():
    """The child starts where dumb-init was started; dumb-init itself moves to /."""
    r = run([os.path.realpath(VIGIL), "--compat", "dumb-init", "sh", "-c",
             "readlink /proc/$PPID/cwd && readlink /proc/$$/cwd"], cwd="/tmp")
    assert r.returncode == 0
    assert r.stdout == b"/\n/tmp\n"


# --- signals ----------------------------------------------------------------------------------

class PrintSignals:
    """`dumb-init [ARGS] python3 -m print_signals`, started and ready."""

    def __init__(self, args=()):
        self.proc = subprocess.Popen(("dumb-init",) + tuple(args) + (PY, "-m", "print_signals"),
                                     stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        m = re.match(rb"^ready \(pid: ([0-9]+)\)\n$", line)
        assert m, line
        self.child = int(m.group(1))

    def send(self, signum):
        self.proc.send_signal(signum)

    def next(self):
        return int(self.proc.stdout.readline())

    def close(self):
        proc.kill_tree(self.proc.pid)
        self.proc.wait(timeout=10)


@pytest.fixture
def print_signals():
    started = []

    def start(args=()):
        p = PrintSignals(args)
        started.append(p)
        return p
    yield start
    for p in started:
        p.close()


@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_proxies_signals(print_signals):
    p = print_signals()
    for signum in NORMAL_SIGNALS:
        p.send(signum)
        assert p.next() == signum


def rewrite_args(rewrite_map):
    out = []
    for src, dst in rewrite_map.items():
        out += ["-r", "%d:%d" % (src, dst)]
    return out


@pytest.mark.parametrize("rewrite_map,sequence,expected", [
    ({}, [signal.SIGTERM, signal.SIGQUIT, signal.SIGCONT, signal.SIGINT],
     [signal.SIGTERM, signal.SIGQUIT, signal.SIGCONT, signal.SIGINT]),
    ({signal.SIGTERM: signal.SIGINT}, [signal.SIGTERM, signal.SIGQUIT, signal.SIGCONT, signal.SIGINT],
     [signal.SIGINT, signal.SIGQUIT, signal.SIGCONT, signal.SIGINT]),
    ({signal.SIGTERM: signal.SIGINT, signal.SIGINT: signal.SIGTERM, signal.SIGQUIT: signal.SIGQUIT},
     [signal.SIGTERM, signal.SIGQUIT, signal.SIGCONT, signal.SIGINT],
     [signal.SIGINT, signal.SIGQUIT, signal.SIGCONT, signal.SIGTERM]),
    ({1: 31, 31: 1}, [1, 31], [31, 1]),
])
@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_proxies_signals_with_rewrite(print_signals, rewrite_map, sequence, expected):
    p = print_signals(rewrite_args(rewrite_map))
    for send, want in zip(sequence, expected):
        p.send(send)
        assert p.next() == want


@pytest.mark.usefixtures("both_debug_modes", "setsid_enabled")
def test_default_rewrites_can_be_overridden_with_setsid_enabled(print_signals):
    """In setsid mode the terminal stop signals may be rewritten; vigil still suspends itself."""
    rewrite_map = {signal.SIGTTIN: signal.SIGTERM, signal.SIGTTOU: signal.SIGINT,
                   signal.SIGTSTP: signal.SIGHUP}
    p = print_signals(rewrite_args(rewrite_map))
    for send, want in rewrite_map.items():
        assert proc.state(p.proc.pid) in ("running", "sleeping")
        p.send(send)
        assert p.next() == want
        os.waitpid(p.proc.pid, os.WUNTRACED)
        assert proc.state(p.proc.pid) == "stopped"
        p.send(signal.SIGCONT)
        assert p.next() == signal.SIGCONT
        assert proc.state(p.proc.pid) in ("running", "sleeping")


@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_ignored_signals_are_not_proxied(print_signals):
    p = print_signals(rewrite_args({signal.SIGTERM: signal.SIGQUIT, signal.SIGINT: 0,
                                    signal.SIGWINCH: 0}))
    p.send(signal.SIGTERM)
    p.send(signal.SIGINT)
    assert p.next() == signal.SIGQUIT
    p.send(signal.SIGWINCH)
    p.send(signal.SIGHUP)
    assert p.next() == signal.SIGHUP


@pytest.mark.usefixtures("both_debug_modes", "setsid_enabled")
def test_shell_background_support_setsid(print_signals):
    """With setsid, SIGTSTP/SIGTTOU/SIGTTIN stop the child's whole group and vigil itself;
    SIGCONT wakes both."""
    p = print_signals()
    for signum in SUSPEND_SIGNALS:
        assert proc.state(p.child) in ("running", "sleeping")
        assert proc.state(p.proc.pid) in ("running", "sleeping")
        p.send(signum)
        proc.wait_until(lambda: proc.state(p.proc.pid) == "stopped"
                        and proc.state(p.child) == "stopped", what="both to stop")
        p.send(signal.SIGCONT)
        assert p.next() == signal.SIGCONT
        assert proc.state(p.child) in ("running", "sleeping")
        assert proc.state(p.proc.pid) in ("running", "sleeping")


@pytest.mark.usefixtures("both_debug_modes", "setsid_disabled")
def test_prints_signals_and_suspends_without_setsid(print_signals):
    """Without setsid, the stop signals are forwarded as they are, then vigil stops itself."""
    p = print_signals()
    for signum in SUSPEND_SIGNALS:
        assert proc.state(p.proc.pid) in ("running", "sleeping")
        p.send(signum)
        assert p.next() == signum
        proc.wait_until(lambda: proc.state(p.proc.pid) == "stopped", what="vigil to stop")
        p.send(signal.SIGCONT)
        assert p.next() == signal.SIGCONT
        assert proc.state(p.proc.pid) in ("running", "sleeping")


def spawn_and_kill_pipeline():
    p = subprocess.Popen(("dumb-init", "sh", "-c",
                          "yes 'oh, hi' | tail & yes error | tail >&2"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.wait_until(lambda: len(proc.descendants(p.pid)) == 5, what="the pipeline")
    pids = proc.descendants(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    return pids


@pytest.mark.usefixtures("both_debug_modes", "setsid_enabled")
def test_setsid_signals_entire_group():
    pids = spawn_and_kill_pipeline()
    proc.wait_until(lambda: not [x for x in pids if proc.alive(x)], what="the group to die")


@pytest.mark.usefixtures("both_debug_modes", "setsid_disabled")
def test_no_setsid_doesnt_signal_entire_group():
    pids = spawn_and_kill_pipeline()
    try:
        proc.wait_until(lambda: len([x for x in pids if proc.alive(x)]) == 4,
                        what="only the shell to die")
        time.sleep(0.2)
        assert len([x for x in pids if proc.alive(x)]) == 4
    finally:
        for x in pids:
            try:
                os.kill(x, signal.SIGKILL)
            except ProcessLookupError:
                pass


def spawn_process_which_dies_with_children():
    p = subprocess.Popen(("dumb-init", "sh", "-c",
                          "%s -m print_signals & sleep 1" % PY), stdout=subprocess.PIPE)
    p.wait(timeout=10)
    assert p.returncode == 0
    line = p.stdout.readline()
    m = re.match(rb"ready \(pid: ([0-9]+)\)\n", line)
    assert m, line
    return int(m.group(1)), p.stdout


@pytest.mark.usefixtures("both_debug_modes", "setsid_enabled")
def test_all_processes_receive_term_on_exit_if_setsid():
    child, out = spawn_process_which_dies_with_children()
    try:
        assert out.readline() == b"15\n"
    finally:
        os.kill(child, signal.SIGKILL)


@pytest.mark.usefixtures("both_debug_modes", "setsid_disabled")
def test_processes_dont_receive_term_on_exit_if_no_setsid():
    child, out = spawn_process_which_dies_with_children()
    try:
        for signum in (1, 2, 3):
            os.kill(child, signum)
            assert out.readline() == b"%d\n" % signum
    finally:
        os.kill(child, signal.SIGKILL)


def test_rewrite_applies_to_the_term_sent_at_exit():
    """dumb-init passes its exit SIGTERM through the rewrites; -r 15:0 suppresses it."""
    p = subprocess.Popen(("dumb-init", "-r", "15:0", "sh", "-c",
                          "%s -m print_signals & sleep 1" % PY), stdout=subprocess.PIPE)
    p.wait(timeout=10)
    m = re.match(rb"ready \(pid: ([0-9]+)\)\n", p.stdout.readline())
    child = int(m.group(1))
    try:
        os.kill(child, signal.SIGUSR1)
        assert p.stdout.readline() == b"%d\n" % signal.SIGUSR1
    finally:
        os.kill(child, signal.SIGKILL)


# --- terminals --------------------------------------------------------------------------------

def ttyflags(fd):
    attrs = termios.tcgetattr(fd)
    attrs[1] &= ~termios.OPOST
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def readall(fd):
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError as e:
            if e.errno == 5:  # EIO: the other side closed
                return out
            raise
        if not chunk:
            return out
        out += chunk


@pytest.mark.usefixtures("debug_disabled")
def test_tty():
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("dumb-init", ("dumb-init", "tac"))
    ttyflags(fd)
    assert os.write(fd, b"1\n2\n3\n") == 6
    assert os.write(fd, b"\x04" * 2) == 2
    output = readall(fd)
    assert os.waitpid(pid, 0) == (pid, 0)
    assert output == b"3\n2\n1\n", output


@pytest.mark.usefixtures("both_debug_modes", "both_setsid_modes")
def test_child_gets_controlling_tty_if_we_had_one():
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("dumb-init", ("dumb-init", "bash", "--norc", "-m"))
    ttyflags(fd)
    os.write(fd, b'echo "flags are: [[$-]]"\n')
    os.write(fd, b"exit 0\n")
    output = readall(fd)
    assert os.waitpid(pid, 0) == (pid, 0), output
    m = re.search(rb"flags are: \[\[([a-zA-Z]+)\]\]\n", output)
    assert m, output
    assert b"m" in m.group(1)


def test_sighup_sigcont_ignored_if_was_session_leader():
    """Giving the terminal to the child makes the kernel send SIGHUP and SIGCONT to vigil's
    group; the first of each is not forwarded, later ones are."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("dumb-init", ("dumb-init", "-v", "sleep", "20"))
    ttyflags(fd)
    time.sleep(0.5)
    os.kill(pid, signal.SIGHUP)
    output = readall(fd).decode()
    os.waitpid(pid, 0)
    assert "Ignoring tty hand-off signal %d." % signal.SIGHUP in output, output
    assert "Ignoring tty hand-off signal %d." % signal.SIGCONT in output, output
    assert "[dumb-init] Forwarded signal %d to children." % signal.SIGHUP in output, output
    assert "[dumb-init] Forwarded signal %d to children." % signal.SIGCONT not in output, output


# --- vigil's own features in dumb-init mode ---------------------------------------------------

def test_vigil_variables_add_memory_policing(tmp_path, monkeypatch):
    helpers = os.environ.get("TEST_HELPERS", os.path.join(os.path.dirname(VIGIL), "tests", "helpers"))
    leaker = os.path.join(helpers, "leaker")
    for k, v in {"VIGIL_MEM_LIMIT": "64M", "VIGIL_MEM_SOURCE": "procfs",
                 "VIGIL_MEM_SUSTAIN": "200ms", "VIGIL_MEM_GRACE": "1s",
                 "VIGIL_MEM_INTERVAL": "50ms",
                 "VIGIL_TERMINATION_LOG": str(tmp_path / "termlog")}.items():
        monkeypatch.setenv(k, v)
    r = run(["dumb-init", leaker, "--rate", "100", "--limit", "300", "--quiet"], timeout=60)
    assert r.returncode == 137, r.stderr
    assert b"[dumb-init] mem_exceeded" in r.stderr, r.stderr
    assert "memory limit exceeded" in (tmp_path / "termlog").read_text()
