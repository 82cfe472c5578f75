#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The deployment examples in docs/ cannot rot: every YAML and JSON block parses; every vigil
invocation in them (Kubernetes command and probes, ECS entryPoint and healthCheck, Dockerfile
ENTRYPOINT and HEALTHCHECK, `vigil ...` shell lines), with the VIGIL_* variables it gets, is
accepted by the binary (`vigil OPTIONS --help` exits 0); and the grace periods fit together:
Kubernetes' terminationGracePeriodSeconds and ECS' stopTimeout are longer than the
--mem-grace of the vigil they run. TAP output.

Environment: TEST_VIGIL, SOURCE_ROOT."""

import json
import os
import re
import shlex
import subprocess
import sys

import tap
from tap import ok

try:
    import yaml
except ImportError:
    print("Bail out! python3-yaml is not installed (scripts/deps.sh installs it)")
    sys.exit(1)

VIGIL = os.environ["TEST_VIGIL"]
DOCS = os.path.join(os.environ["SOURCE_ROOT"], "docs")
FILES = ["kubernetes.md", "ecs.md", "docker.md", "recipes.md"]
DEFAULT_MEM_GRACE = 30.0  # seconds, vigil's default



def blocks(path):
    """(language, text) of each fenced code block."""
    text = open(path, encoding="utf-8").read()
    return re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)


def is_vigil(word):
    return isinstance(word, str) and (word == "vigil" or word.endswith("/vigil"))


def seconds(dur):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|min|h)", dur)
    if not m:
        return None
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600}[m.group(2)]


class Invocation:
    def __init__(self, where, argv, env):
        self.where, self.argv, self.env = where, list(argv), dict(env)

    def options(self):
        """vigil's own arguments: those before `--` (an invocation without one may only be a
        --health check, so that no program is ever run here)."""
        args = self.argv[1:]
        if "--" in args:
            return args[:args.index("--")], None
        if "--health" in args:
            return args, None
        return None, "no '--' before the program (the docs always write one)"

    def mem_grace(self):
        opts, _ = self.options()
        opts = opts or []
        for i, a in enumerate(opts):
            if a == "--mem-grace" and i + 1 < len(opts):
                return seconds(opts[i + 1])
            if a.startswith("--mem-grace="):
                return seconds(a.split("=", 1)[1])
        if "VIGIL_MEM_GRACE" in self.env:
            return seconds(self.env["VIGIL_MEM_GRACE"])
        return DEFAULT_MEM_GRACE

    def check(self):
        """None when vigil accepts the options and variables, else why not."""
        opts, why = self.options()
        if why:
            return why
        opts = [a for a in opts if a != "--health"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        env.update(self.env)
        r = subprocess.run([VIGIL] + opts + ["--help"], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            return "vigil %s --help with %s: exit %d: %s" % (
                " ".join(opts), self.env, r.returncode, r.stderr.strip())
        return None


def container_invocations(where, c):
    """Invocations of vigil by one Kubernetes container or ECS container definition."""
    env = {}
    for e in c.get("env", []) + c.get("environment", []):
        if isinstance(e, dict) and str(e.get("name", "")).startswith("VIGIL_"):
            env[e["name"]] = str(e.get("value", ""))
    out = []
    cmd = c.get("command") or []
    entry = c.get("entryPoint") or []
    for argv in (entry + cmd if entry else cmd,):
        if argv and is_vigil(argv[0]):
            out.append(Invocation(where + " " + c.get("name", "?"), argv, env))
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        argv = (c.get(probe) or {}).get("exec", {}).get("command") or []
        if argv and is_vigil(argv[0]):
            out.append(Invocation(where + " " + probe, argv, env))
    hc = (c.get("healthCheck") or {}).get("command") or []
    if hc[:1] == ["CMD"] and len(hc) > 1 and is_vigil(hc[1]):
        out.append(Invocation(where + " healthCheck", hc[1:], env))
    return out


def walk(obj):
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk(v)


def dockerfile(where, text):
    """(invocations, instructions) of a Dockerfile block."""
    lines, cur = [], ""
    for raw in text.splitlines():
        if not cur and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.rstrip().endswith("\\"):
            cur += raw.rstrip()[:-1] + " "
            continue
        lines.append((cur + raw).strip())
        cur = ""
    env, instr, argvs, errors = {}, [], [], []
    for line in lines:
        kw, _, arg = line.partition(" ")
        kw = kw.upper()
        instr.append((kw, arg.strip()))
        if kw == "ENV":
            for pair in shlex.split(arg):
                k, _, v = pair.partition("=")
                if k.startswith("VIGIL_"):
                    env[k] = v
        elif kw in ("ENTRYPOINT", "CMD", "HEALTHCHECK"):
            exec_form = arg
            if kw == "HEALTHCHECK":
                exec_form = re.sub(r"^(--\S+\s+)*CMD\s+", "", arg)
            try:
                argv = json.loads(exec_form)
            except ValueError:
                errors.append("%s is not in exec form (a JSON array): %s" % (kw, arg))
                continue
            if argv and is_vigil(argv[0]):
                argvs.append((kw, argv))
    invs = [Invocation("%s %s" % (where, kw), argv, env) for kw, argv in argvs]
    return invs, instr, errors


def main():
    invocations, parse_errors = [], []
    pods, fragments, ecs_defs, dockerfiles = [], [], [], []
    for name in FILES:
        path = os.path.join(DOCS, name)
        if not os.path.exists(path):
            parse_errors.append("missing " + path)
            continue
        for i, (lang, text) in enumerate(blocks(path), 1):
            where = "%s block %d (%s)" % (name, i, lang or "plain")
            if lang == "yaml":
                try:
                    docs = [d for d in yaml.safe_load_all(text) if d is not None]
                except yaml.YAMLError as e:
                    parse_errors.append("%s: %s" % (where, e))
                    continue
                for d in docs:
                    for obj in walk(d):
                        if isinstance(obj, dict) and ("command" in obj or "args" in obj) \
                                and "image" in obj:
                            invocations += container_invocations(where, obj)
                    if isinstance(d, dict) and d.get("kind") == "Pod":
                        pods.append((where, d))
                    elif isinstance(d, dict) and "containers" in d:
                        fragments.append((where, d))
            elif lang == "json":
                try:
                    d = json.loads(text)
                except ValueError as e:
                    parse_errors.append("%s: %s" % (where, e))
                    continue
                for c in d.get("containerDefinitions", []) if isinstance(d, dict) else []:
                    invocations += container_invocations(where, c)
                    ecs_defs.append((where, c))
            elif lang == "dockerfile":
                invs, instr, errors = dockerfile(where, text)
                invocations += invs
                parse_errors += errors
                dockerfiles.append((where, instr, invs))
            elif lang == "sh":
                for line in text.replace("\\\n", " ").splitlines():
                    if line.startswith("vigil "):
                        invocations.append(Invocation(where, shlex.split(line), {}))

    ok(not parse_errors, "every YAML, JSON and Dockerfile block in docs/ parses", parse_errors)
    bad = [w for w in (inv.check() for inv in invocations) if w]
    ok(invocations and not bad,
       "vigil accepts the options and VIGIL_* variables of all %d invocations" % len(invocations),
       bad)

    # Kubernetes: a Pod with a termination message and a grace longer than --mem-grace.
    problems = []
    for where, d in pods + fragments:
        spec = d.get("spec", d)
        grace = spec.get("terminationGracePeriodSeconds")
        for c in spec.get("containers", []):
            for inv in container_invocations(where, c):
                if inv.where.endswith(("Probe", "healthCheck")):
                    continue
                mg = inv.mem_grace()
                if grace is None or mg is None or not grace > mg:
                    problems.append("%s: terminationGracePeriodSeconds %s is not longer than "
                                    "--mem-grace %ss" % (inv.where, grace, mg))
                if d in [p for _, p in pods] and c.get("terminationMessagePath") is None:
                    problems.append("%s: no terminationMessagePath" % inv.where)
    ok(pods and not problems, "Kubernetes examples (%d Pods, %d fragments): "
       "terminationMessagePath set, terminationGracePeriodSeconds longer than --mem-grace"
       % (len(pods), len(fragments)), problems or ["no Pod in docs/kubernetes.md"])

    # ECS: stopTimeout longer than --mem-grace, and within ECS' limit of 120 s.
    problems = []
    for where, c in ecs_defs:
        st = c.get("stopTimeout")
        for inv in container_invocations(where, c):
            if inv.where.endswith("healthCheck"):
                continue
            mg = inv.mem_grace()
            if not isinstance(st, int) or mg is None or not mg < st <= 120:
                problems.append("%s: stopTimeout %s, --mem-grace %ss" % (inv.where, st, mg))
    ok(ecs_defs and not problems,
       "ECS task definitions: stopTimeout longer than --mem-grace and at most 120 s",
       problems or ["no containerDefinitions in docs/ecs.md"])

    # Docker: a HEALTHCHECK that runs vigil --health, with vigil as the ENTRYPOINT.
    found = [w for w, instr, invs in dockerfiles
             if any(i.where.endswith("HEALTHCHECK") and "--health" in i.argv for i in invs)
             and any(i.where.endswith("ENTRYPOINT") for i in invs)]
    ok(found, 'a Dockerfile with HEALTHCHECK CMD ["vigil", "--health"] and vigil as ENTRYPOINT',
       ["none found in docs/docker.md"])

    recipes = open(os.path.join(DOCS, "recipes.md"), encoding="utf-8").read()
    missing = [s for s in ("## Sidekiq", "## Puma", "## JVM") if s not in recipes]
    ok(not missing, "docs/recipes.md has the Sidekiq, Puma and JVM recipes", missing)
    print("1..%d" % tap.count)
    sys.exit(tap.exit_code())


main()
