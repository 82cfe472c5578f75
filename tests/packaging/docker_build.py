#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""packaging/docker/Dockerfile without a container engine: its build stage is replayed on this
machine (Debian 12, as the stage's base image). COPY sources must exist and are copied into a
temporary directory that stands for the stage's WORKDIR; the packages of `apt-get install`
must be Debian packages installed here; every other RUN command is run as written, with
/bin/sh -c in that directory, and must build a static vigil. The final stage must copy that
file and have the entry point ["/vigil", "--"]. TAP output.

Environment: SOURCE_ROOT (the source tree, also the build context), TEST_VIGIL (the built
binary, whose --version the replayed one must print)."""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

SOURCE_ROOT = os.environ["SOURCE_ROOT"]
TEST_VIGIL = os.environ["TEST_VIGIL"]
DOCKERFILE = os.path.join(SOURCE_ROOT, "packaging", "docker", "Dockerfile")

n = 0
failed = False


def ok(cond, desc, detail=""):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, desc))
    if not cond:
        failed = True
        for line in str(detail).splitlines()[-40:]:
            print("# " + line)
    sys.stdout.flush()
    return cond


def bail(why):
    print("Bail out! " + why)
    sys.exit(1)


def parse(path):
    """Instructions as (KEYWORD, argument text), continuation lines joined."""
    out, cur = [], ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not cur and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.rstrip().endswith("\\"):
                cur += line.rstrip()[:-1] + " "
                continue
            cur += line
            word, _, rest = cur.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            cur = ""
    return out


def stages(instructions):
    result = []
    for kw, arg in instructions:
        if kw == "FROM":
            words = arg.split()
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            result.append({"image": words[0], "name": name, "steps": []})
        elif result:
            result[-1]["steps"].append((kw, arg))
    return result


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "install ok installed"


def main():
    for tool in ("meson", "ninja", "g++", "file", "dpkg-query"):
        if shutil.which(tool) is None:
            bail("missing tool %s (scripts/deps.sh installs it)" % tool)
    if not os.path.exists(DOCKERFILE):
        bail("no " + DOCKERFILE)
    print("1..9")
    st = stages(parse(DOCKERFILE))
    if len(st) != 2:
        bail("expected two stages (build, final), found %d" % len(st))
    build, final = st

    os_release = open("/etc/os-release", encoding="utf-8").read()
    ok(build["image"] in ("debian:12", "debian:bookworm") and build["name"] == "build",
       "the build stage is 'FROM debian:12 AS build'", build)
    if 'VERSION_ID="12"' not in os_release:
        bail("this machine is not Debian 12, so it cannot stand in for the build stage")

    tmp = tempfile.mkdtemp(prefix="vigil-docker.")
    try:
        root = os.path.join(tmp, "root")  # the build stage's file system, for what it copies
        os.makedirs(root)
        workdir = "/"

        def mapped(path):
            return os.path.join(root, os.path.join(workdir, path).lstrip("/"))

        copies_ok, packages, missing, runs = True, [], [], []
        problems = []
        for kw, arg in build["steps"]:
            if kw == "WORKDIR":
                workdir = os.path.join(workdir, arg)
                os.makedirs(mapped("."), exist_ok=True)
            elif kw == "COPY":
                words = shlex.split(arg)
                if any(w.startswith("--") for w in words):
                    problems.append("COPY flags are not replayed: " + arg)
                    continue
                *srcs, dest = words
                for s in srcs:
                    src = os.path.join(SOURCE_ROOT, s)
                    if not os.path.exists(src):
                        copies_ok = False
                        problems.append("COPY source %s does not exist" % s)
                        continue
                    target = mapped(dest)
                    if os.path.isdir(src):
                        shutil.copytree(src, target, dirs_exist_ok=True)
                    else:
                        if dest.endswith("/"):
                            os.makedirs(target, exist_ok=True)
                            target = os.path.join(target, os.path.basename(s))
                        shutil.copy2(src, target)
            elif kw == "RUN":
                if "apt-get" in arg:
                    for part in arg.split("&&"):
                        words = shlex.split(part)
                        if not words:
                            continue
                        if words[:2] == ["apt-get", "install"]:
                            packages += [w for w in words[2:] if not w.startswith("-")]
                        elif words[:2] == ["apt-get", "update"] or \
                                words == ["rm", "-rf", "/var/lib/apt/lists/*"]:
                            pass
                        else:
                            problems.append("a RUN with apt-get must only install packages: "
                                            + part.strip())
                else:
                    if workdir != "/" and workdir in arg:
                        problems.append("RUN names the absolute WORKDIR, which cannot be "
                                        "replayed: " + arg)
                    runs.append(arg)
            elif kw in ("ENV", "ARG"):
                problems.append("%s is not replayed: %s" % (kw, arg))
        missing = [p for p in packages if not installed(p)]
        ok(copies_ok and not problems, "the build stage's COPY sources exist and every "
           "instruction can be replayed", "\n".join(problems))
        ok(packages and not missing,
           "apt-get installs Debian 12 packages: %s" % " ".join(packages),
           "not installed here: %s" % " ".join(missing))

        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME": tmp, "LANG": "C.UTF-8"}
        start = time.time()
        log, run_ok = [], bool(runs)
        for cmd in runs:
            r = subprocess.run(["/bin/sh", "-c", cmd], cwd=mapped("."), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            log.append("$ " + cmd + "\n" + r.stdout)
            if r.returncode != 0:
                run_ok = False
                log.append("exit %d" % r.returncode)
                break
        ok(run_ok, "the build stage's RUN commands succeed (%d s)" % (time.time() - start),
           "\n".join(log))

        # --- the final stage ---------------------------------------------------------------
        ok(final["image"] == "scratch" or final["image"].startswith("busybox"),
           "the final stage is a minimal image (%s)" % final["image"])
        vigil_path = None
        copied_ok = True
        for kw, arg in final["steps"]:
            if kw != "COPY":
                continue
            words = shlex.split(arg)
            if words[0] != "--from=build" or len(words) != 3:
                copied_ok = False
                continue
            src = os.path.join(root, words[1].lstrip("/"))
            copied_ok &= os.path.exists(src)
            if words[2] == "/vigil":
                vigil_path = src
        ok(copied_ok and vigil_path is not None and os.path.isfile(vigil_path),
           "the final stage copies /vigil (and everything it copies) from the build stage")
        info = subprocess.run(["file", "-L", vigil_path or "/nonexistent"], capture_output=True,
                              text=True).stdout
        ok("statically linked" in info, "the copied vigil is statically linked (FROM scratch)",
           info)
        got = subprocess.run([vigil_path or "/nonexistent", "--version"], capture_output=True,
                             text=True).stdout if vigil_path and os.path.isfile(vigil_path) else ""
        want = subprocess.run([TEST_VIGIL, "--version"], capture_output=True, text=True).stdout
        ok(got == want and got.startswith("vigil "), "the copied vigil --version is the build's",
           "got %r, want %r" % (got, want))
        entry = [a for k, a in final["steps"] if k == "ENTRYPOINT"]
        try:
            parsed = json.loads(entry[-1]) if entry else None
        except ValueError:
            parsed = None
        ok(parsed == ["/vigil", "--"], 'ENTRYPOINT ["/vigil", "--"] (exec form)', entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


main()
