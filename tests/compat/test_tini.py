# SPDX-License-Identifier: Apache-2.0
"""vigil under the name tini: every behaviour tini's own suite checks, and the rest of tini's
interface (options, variables, messages, exit codes)."""
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

import proc
from conftest import LIB, VIGIL

PY = sys.executable


def lib(name):
    return os.path.join(LIB, name)


def run(args, env=None, timeout=30, **kw):
    return subprocess.run(args, env=env, timeout=timeout, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, **kw)


# --- exit codes -----------------------------------------------------------------------------

def test_remap_each_exit_code_to_zero():
    """-e CODE turns that exit code into 0, for every code 0..255."""
    for code in range(256):
        r = run(["tini", "-e", str(code), "--", "sh", "-c", "exit %d" % code])
        assert r.returncode == 0, (code, r.stderr)


def test_other_remaps_leave_the_exit_code_alone():
    """With every other code remapped, and POSIXLY_CORRECT so that no `--` is needed, the
    child's code comes through unchanged."""
    env = dict(os.environ, POSIXLY_CORRECT="1")
    for code in (0, 1, 2, 3, 42, 126, 127, 128, 137, 143, 254, 255):
        others = itertools.chain(*[["-e", str(x)] for x in range(256) if x != code])
        r = run(["tini", *others, "sh", "-c", "exit %d" % code], env=env)
        assert r.returncode == code, (code, r.stderr)


def test_exec_failures_give_127_and_126(tmp_path):
    r = run(["tini", "--", "/does/not/exist"])
    assert r.returncode == 127
    assert b"[FATAL tini (" in r.stderr and b"/does/not/exist" in r.stderr
    script = tmp_path / "noexec.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    r = run(["tini", "--", str(script)])
    assert r.returncode == 126, r.stderr


def test_signal_death_is_128_plus_n():
    r = run(["tini", "--", "sh", "-c", "kill -TERM $$"])
    assert r.returncode == 128 + signal.SIGTERM


# --- reaping and the subreaper ----------------------------------------------------------------

REAPING_SETUPS = [
    pytest.param([PY, lib("subreaper_proxy.py"), "tini"], {}, id="inherited-subreaper"),
    pytest.param(["tini", "-s"], {}, id="dash-s"),
    pytest.param(["tini"], {"TINI_SUBREAPER": ""}, id="TINI_SUBREAPER"),
    pytest.param(["docker-init", "-s"], {}, id="docker-init"),
    pytest.param(["tini-static", "-s"], {}, id="tini-static"),
]


@pytest.mark.parametrize("target,extra_env", REAPING_SETUPS)
def test_reaps_orphans_as_a_subreaper(target, extra_env):
    r = run(target + ["--", PY, lib("reaping_stage1.py")], env=dict(os.environ, **extra_env))
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert b"zombie reaping won't work" not in r.stderr
    assert b"Reaped zombie process with pid=" not in r.stderr


@pytest.mark.parametrize("target,extra_env", REAPING_SETUPS)
def test_dash_w_reports_each_reaped_zombie(target, extra_env):
    r = run(target + ["-w", "--", PY, lib("reaping_stage1.py")], env=dict(os.environ, **extra_env))
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert r.stderr.count(b"Reaped zombie process with pid=") == 2, r.stderr
    assert b"[WARN  tini (" in r.stderr


def test_warns_and_cannot_reap_when_neither_pid1_nor_subreaper():
    """Without -s or TINI_SUBREAPER, and not PID 1, tini does not become a subreaper: it warns,
    and the orphans escape it (stage 1 finds them and exits 1). The environment is otherwise
    empty, as in tini's suite."""
    r = run(["tini", PY, lib("reaping_stage1.py")],
            env={"TINI_VERBOSITY": "1", "PATH": os.environ["PATH"]})
    assert b"zombie reaping won't work" in r.stderr
    assert r.returncode == 1, (r.stdout, r.stderr)


def test_warning_is_silenced_at_verbosity_zero():
    r = run(["tini", PY, lib("reaping_stage1.py")],
            env={"TINI_VERBOSITY": "0", "PATH": os.environ["PATH"]})
    assert r.stderr == b""


def test_as_pid1_reaps_and_exits_with_the_child_at_once():
    """As PID 1 tini needs no subreaper, and it exits as soon as the child does: the kernel then
    ends the namespace's other processes."""
    r = run(["unshare", "--pid", "--fork", "--mount-proc", "tini", "--",
             "sh", "-c", "sleep 30 & exit 7"])
    assert r.returncode == 7, r.stderr
    assert r.stderr == b""


def test_exits_without_waiting_for_descendants(tmp_path):
    """tini does not run vigil's cleanup grace: a background process of the child outlives it."""
    pidfile = tmp_path / "bg.pid"
    r = run(["tini", "-s", "--", "sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $! > %s; exit 3" % pidfile])
    assert r.returncode == 3
    bg = int(pidfile.read_text())
    try:
        assert proc.alive(bg), "the background process was killed"
    finally:
        os.kill(bg, signal.SIGKILL)


# --- signals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT])
@pytest.mark.parametrize("target,extra_env", REAPING_SETUPS[:3])
def test_forwards_signals_to_the_child(signum, target, extra_env):
    p = subprocess.Popen(target + ["--", "sleep", "30"], env=dict(os.environ, **extra_env))
    try:
        proc.wait_until(lambda: any(proc.state(c) == "sleeping" for c in proc.descendants(p.pid)),
                        what="the child to start")
        p.send_signal(signum)
        assert p.wait(timeout=10) == 128 + signum
    finally:
        proc.kill_tree(p.pid)


def recorder(tmp_path):
    log, ready = tmp_path / "log", tmp_path / "ready"
    helpers = os.environ.get("TEST_HELPERS", os.path.join(os.path.dirname(VIGIL), "tests", "helpers"))
    return [os.path.join(helpers, "sigrecorder"), "-x", str(int(signal.SIGUSR2)), str(log),
            str(ready)], log, ready


def test_synchronous_signals_and_ttin_ttou_are_not_forwarded(tmp_path):
    """tini neither forwards the fault signals sent with kill(2) nor SIGTTIN/SIGTTOU; everything
    else goes through."""
    cmd, log, ready = recorder(tmp_path)
    p = subprocess.Popen(["tini", "-s", "--"] + cmd)
    try:
        proc.wait_until(ready.exists, what="the recorder")
        for s in (signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGABRT,
                  signal.SIGTRAP, signal.SIGSYS, signal.SIGTTIN, signal.SIGTTOU, signal.SIGUSR1,
                  signal.SIGUSR2):
            p.send_signal(s)
            time.sleep(0.02)
        assert p.wait(timeout=10) == 0
        got = [int(x) for x in log.read_text().split()]
        assert got == [signal.SIGUSR1, signal.SIGUSR2], got
    finally:
        proc.kill_tree(p.pid)


@pytest.mark.parametrize("how", ["-g", "TINI_KILL_PROCESS_GROUP"])
def test_group_kill_reaches_the_whole_process_group(how):
    """The child ignores SIGUSR1 and waits for a sleep that does not: only a signal to the
    group ends it."""
    args = ["tini"] + (["-g"] if how == "-g" else []) + ["--", PY, lib("pgroup_stage1.py")]
    env = dict(os.environ, **({"TINI_KILL_PROCESS_GROUP": "1"} if how != "-g" else {}))
    p = subprocess.Popen(args, env=env)
    try:
        # The sleep must have exec'd: until then it still ignores SIGUSR1 like its parent.
        proc.wait_until(lambda: "sleep" in map(proc.comm, proc.descendants(p.pid)),
                        what="stage 1 and its sleep")
        p.send_signal(signal.SIGUSR1)
        assert p.wait(timeout=10) == 0
    finally:
        proc.kill_tree(p.pid)


def test_without_group_kill_only_the_child_is_signalled():
    p = subprocess.Popen(["tini", "--", PY, lib("pgroup_stage1.py")])
    try:
        proc.wait_until(lambda: "sleep" in map(proc.comm, proc.descendants(p.pid)),
                        what="stage 1 and its sleep")
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        assert p.poll() is None, "SIGUSR1 reached the sleep without -g"
        assert len(proc.descendants(p.pid)) == 2
    finally:
        proc.kill_tree(p.pid)
        p.wait(timeout=10)


def test_child_keeps_the_ignored_and_blocked_signals_it_was_given():
    """Signals ignored or blocked by tini's caller stay so in the child (tini's sigconf test)."""
    helpers = os.environ.get("TEST_HELPERS", os.path.join(os.path.dirname(VIGIL), "tests", "helpers"))
    ign = [signal.SIGTTOU, signal.SIGSEGV, signal.SIGINT]
    blk = [signal.SIGTTIN, signal.SIGILL, signal.SIGTERM]
    args = [os.path.join(helpers, "withsigs")]
    for s in ign:
        args += ["-i", str(int(s))]
    for s in blk:
        args += ["-b", str(int(s))]
    # A sanitizer build of vigil would install its own SIGSEGV/SIGILL handlers at start and so
    # lose the inherited SIG_IGN; tell its runtime to leave them alone.
    env = dict(os.environ, ASAN_OPTIONS="handle_segv=0:handle_sigbus=0:handle_sigfpe=0:"
                                        "handle_sigill=0:handle_abort=0")
    r = run(args + ["--", "tini", "cat", "/proc/self/status"], env=env)
    assert r.returncode == 0, r.stderr
    masks = {}
    for line in r.stdout.decode().splitlines():
        k, _, v = line.partition(":")
        if k in ("SigIgn", "SigBlk"):
            masks[k] = int(v.strip(), 16)
    for s in ign:
        assert masks["SigIgn"] & (1 << (s - 1)), ("SigIgn", s)
    for s in blk:
        assert masks["SigBlk"] & (1 << (s - 1)), ("SigBlk", s)


def test_parent_death_signal(tmp_path):
    f = tmp_path / "pdeath"
    f.write_text("")
    r = run([PY, lib("pdeath_stage1.py"), "tini", str(f)])
    assert r.returncode == 0, r.stderr
    proc.wait_until(lambda: f.read_text() == "ok", what="stage 2 to get SIGUSR1")


# --- command line -----------------------------------------------------------------------------

def test_version_is_what_docker_parses():
    for name in ("tini", "tini-static", "docker-init"):
        r = run([name, "--version"])
        assert r.returncode == 0
        assert r.stdout.startswith(b"tini version ")
        version, _, rest = r.stdout.decode().strip()[len("tini version "):].partition(" - ")
        assert version and rest == "vigil", r.stdout


def test_version_only_as_the_sole_argument():
    r = run(["tini", "--version", "--", "true"])
    assert r.returncode == 1
    assert b"--version" in r.stderr


def test_help_and_licence_exit_zero_on_stdout():
    r = run(["tini", "-h"])
    assert r.returncode == 0 and b"usage: tini" in r.stdout and r.stderr == b""
    r = run(["tini", "-l"])
    assert r.returncode == 0 and b"Apache" in r.stdout


@pytest.mark.parametrize("args,needle", [
    ([], b"no program"),
    (["-z", "--", "true"], b"invalid option -- 'z'"),
    (["-p"], b"requires an argument -- 'p'"),
    (["-p", "NOSUCHSIG", "--", "true"], b"-p"),
    (["-e", "256", "--", "true"], b"-e"),
    (["-e", "x", "--", "true"], b"-e"),
    (["--bogus", "--", "true"], b"unrecognized option '--bogus'"),
])
def test_usage_errors_exit_1_with_one_line(args, needle, tmp_path):
    marker = tmp_path / "ran"
    if "--" in args:
        args = args[:args.index("--")] + ["--", "touch", str(marker)]
    r = run(["tini"] + args)
    assert r.returncode == 1, r.stderr
    assert needle in r.stderr
    assert r.stderr.count(b"\n") == 1, r.stderr
    assert not marker.exists()


def test_bad_tini_verbosity_is_a_usage_error():
    r = run(["tini", "--", "true"], env=dict(os.environ, TINI_VERBOSITY="loud"))
    assert r.returncode == 1 and b"TINI_VERBOSITY" in r.stderr


def test_options_may_follow_the_program_until_double_dash():
    """GNU getopt permutes: an option after the program is still tini's."""
    r = run(["tini", "echo", "hi", "-w"])
    assert r.returncode == 0 and r.stdout == b"hi\n"
    r = run(["tini", "echo", "hi", "-w"], env=dict(os.environ, POSIXLY_CORRECT="1"))
    assert r.stdout == b"hi -w\n"
    r = run(["tini", "--", "echo", "hi", "-w"])
    assert r.stdout == b"hi -w\n"


def test_verbosity_levels():
    # An orphan re-parented to vigil (PID 1) is reaped with a debug-level line.
    orphan = ["sh", "-c", "(sleep 0.1 &); sleep 0.5"]
    r = run(["unshare", "--pid", "--fork", "--mount-proc", "tini", "-v", "--"] + orphan)
    assert r.returncode == 0
    assert b"[INFO  tini (1)] " in r.stderr and b"[DEBUG" not in r.stderr, r.stderr
    r = run(["unshare", "--pid", "--fork", "--mount-proc", "tini", "-vv", "--"] + orphan)
    assert b"[DEBUG tini (1)] reap " in r.stderr, r.stderr
    # TINI_VERBOSITY replaces the -v count, as in tini.
    r = run(["unshare", "--pid", "--fork", "--mount-proc", "tini", "-vvv", "--", "true"],
            env=dict(os.environ, TINI_VERBOSITY="1"))
    assert b"[INFO" not in r.stderr


def test_compat_option_under_any_name():
    r = run([VIGIL, "--compat", "tini", "--version"])
    assert r.stdout.startswith(b"tini version ")
    r = run([VIGIL, "--compat=tini", "-e", "5", "--", "sh", "-c", "exit 5"])
    assert r.returncode == 0
    r = run([VIGIL, "--version"], env=dict(os.environ, VIGIL_COMPAT="tini"))
    assert r.stdout.startswith(b"tini version ")


# --- vigil's own features in tini mode --------------------------------------------------------

def test_vigil_variables_add_memory_policing(tmp_path):
    """An unchanged tini entrypoint gains memory policing from VIGIL_* variables alone."""
    helpers = os.environ.get("TEST_HELPERS", os.path.join(os.path.dirname(VIGIL), "tests", "helpers"))
    leaker = os.path.join(helpers, "leaker")
    if not os.path.exists(leaker):
        pytest.fail("the leaker helper is missing: " + leaker)
    env = dict(os.environ, VIGIL_MEM_LIMIT="64M", VIGIL_MEM_SOURCE="procfs",
               VIGIL_MEM_SUSTAIN="200ms", VIGIL_MEM_GRACE="1s", VIGIL_MEM_INTERVAL="50ms",
               VIGIL_TERMINATION_LOG=str(tmp_path / "termlog"))
    r = run(["unshare", "--pid", "--fork", "--mount-proc", "tini", "--", leaker, "--rate", "100",
             "--limit", "300", "--quiet"], env=env, timeout=60)
    assert r.returncode == 137, r.stderr
    assert b"[WARN  tini (1)] mem_exceeded" in r.stderr, r.stderr
    assert "memory limit exceeded" in (tmp_path / "termlog").read_text()


def test_bad_vigil_variable_is_exit_2():
    r = run(["tini", "--", "true"], env=dict(os.environ, VIGIL_MEM_LIMIT="lots"))
    assert r.returncode == 2 and b"VIGIL_MEM_LIMIT" in r.stderr
