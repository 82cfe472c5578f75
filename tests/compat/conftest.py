# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the compat suites: vigil under the names tini, tini-static, docker-init and
dumb-init (symlinks in a temporary directory put first on PATH), and environment switches in
the style the two programs are configured with."""
import os
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "lib")
sys.path.insert(0, LIB)

VIGIL = os.environ.get("TEST_VIGIL") or os.path.join(HERE, "..", "..", "build", "vigil")
VERSION = os.environ.get("TEST_VERSION", "")


@pytest.fixture(scope="session")
def bindir():
    d = tempfile.mkdtemp(prefix="vigil-compat-")
    for name in ("tini", "tini-static", "docker-init", "dumb-init"):
        os.symlink(os.path.abspath(VIGIL), os.path.join(d, name))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_environment(bindir, monkeypatch):
    """Every test starts with the compat names first on PATH and none of the variables that
    change behaviour."""
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))
    monkeypatch.setenv("PYTHONPATH", LIB)
    for name in list(os.environ):
        if name.startswith(("TINI_", "DUMB_INIT_", "VIGIL_")) or name == "POSIXLY_CORRECT":
            monkeypatch.delenv(name)
    yield


@pytest.fixture(params=["1", "0"], ids=["debug", "nodebug"])
def both_debug_modes(request, monkeypatch):
    monkeypatch.setenv("DUMB_INIT_DEBUG", request.param)


@pytest.fixture(params=["1", "0"], ids=["setsid", "nosetsid"])
def both_setsid_modes(request, monkeypatch):
    monkeypatch.setenv("DUMB_INIT_SETSID", request.param)


@pytest.fixture
def setsid_enabled(monkeypatch):
    monkeypatch.setenv("DUMB_INIT_SETSID", "1")


@pytest.fixture
def setsid_disabled(monkeypatch):
    monkeypatch.setenv("DUMB_INIT_SETSID", "0")


@pytest.fixture
def debug_disabled(monkeypatch):
    monkeypatch.setenv("DUMB_INIT_DEBUG", "0")
