#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The manual page and the option table cannot drift apart: every option `vigil --help` lists
(long name, short letter, metavar, VIGIL_* variable) is documented in man/vigil.1.scd with an
entry `*-x*, *--name* _METAVAR_` under OPTIONS and `*VIGIL_NAME*` under ENVIRONMENT; and the
page documents no option, short letter or variable that --help does not list (the hidden,
test-only options included). Any `--word` mentioned anywhere in the page must be an option
too, except for a short list of other programs' options. TAP output.

Environment: TEST_VIGIL (the binary), MAN_SOURCE (the .scd file)."""

import os
import re
import subprocess
import sys

import tap
from tap import ok

VIGIL = os.environ["TEST_VIGIL"]
SOURCE = os.environ["MAN_SOURCE"]

# Options of other programs the page mentions: unshare(1)'s in EXAMPLES. A vigil option must
# never be added here.
FOREIGN = {"--pid", "--fork", "--mount-proc"}
# Options of the table that --help hides; the page must not mention them.
HIDDEN = {"--cgroup-root", "--mem-adaptive"}



def help_options():
    """{long: (short or None, metavar or '', env or None)} from vigil --help."""
    out = subprocess.run([VIGIL, "--help"], capture_output=True, text=True, check=True).stdout
    opts, current = {}, None
    head = re.compile(r"^  (?:-(\w), |    )--([a-z0-9][a-z0-9-]*)(?: (\S+))?(?:\s{2,}|$)")
    for line in out.splitlines():
        m = head.match(line)
        if m:
            current = m.group(2)
            opts[current] = [m.group(1), m.group(3) or "", None]
        if current:
            e = re.search(r"\[(VIGIL_[A-Z0-9_]+)\]\s*$", line)
            if e:
                opts[current][2] = e.group(1)
    return {k: tuple(v) for k, v in opts.items()}


def plain(text):
    """scdoc markup removed: *bold*, _underline_ (not inside words), backslash escapes."""
    text = text.replace("\\_", "\x00").replace("\\*", "\x01")
    text = text.replace("*", "")
    text = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", "", text)
    return text.replace("\x00", "_").replace("\x01", "*")


def sections(lines):
    """{SECTION: [lines]} for the '# SECTION' headings."""
    out, name = {}, None
    for line in lines:
        if line.startswith("# "):
            name = line[2:].strip()
            out[name] = []
        elif name:
            out[name].append(line)
    return out


def main():
    try:
        opts = help_options()
    except (OSError, subprocess.CalledProcessError) as e:
        print("Bail out! cannot run %s --help: %s" % (VIGIL, e))
        sys.exit(1)
    with open(SOURCE, encoding="utf-8") as f:
        # Lines starting with ';' are scdoc comments, not part of the page.
        lines = [l for l in f.read().splitlines() if not l.startswith(";")]
    sec = sections(lines)
    if len(opts) < 10 or "OPTIONS" not in sec or "ENVIRONMENT" not in sec:
        print("Bail out! parsed %d options from --help, sections %s" % (len(opts), list(sec)))
        sys.exit(1)
    print("1..7")

    # Entries under OPTIONS: lines that start (unindented) with a bold option.
    entry_re = re.compile(r"^(?:-(\w), )?--([a-z0-9][a-z0-9-]*)(?: (.+))?$")
    entries = {}
    malformed = []
    for line in sec["OPTIONS"]:
        if not line.startswith("*-"):
            continue
        m = entry_re.match(plain(line).strip())
        if not m:
            malformed.append(line)
            continue
        entries[m.group(2)] = (m.group(1), (m.group(3) or "").strip())

    missing = sorted(set(opts) - set(entries))
    ok(not missing and not malformed,
       "every option of --help (%d) has an entry under OPTIONS" % len(opts),
       ["missing: --" + m for m in missing] + ["not an option entry: " + m for m in malformed])
    extra = sorted(set(entries) - set(opts))
    ok(not extra, "every option entry under OPTIONS is an option of --help",
       ["documented but not in --help: --" + e for e in extra])
    wrong = ["--%s: page '-%s' '%s', --help '-%s' '%s'" % (k, entries[k][0], entries[k][1],
                                                         v[0], v[1])
             for k, v in opts.items() if k in entries and entries[k] != (v[0], v[1])]
    ok(not wrong, "short letters and metavars agree with --help", wrong)

    # ENVIRONMENT: one entry per variable.
    env_entries = {plain(l).strip() for l in sec["ENVIRONMENT"] if l.startswith("*VIGIL_")}
    help_env = {v[2] for v in opts.values() if v[2]}
    ok(help_env and help_env == env_entries,
       "ENVIRONMENT has an entry for each of the %d VIGIL_* variables and no other" % len(help_env),
       ["missing: " + e for e in sorted(help_env - env_entries)] +
       ["not in --help: " + e for e in sorted(env_entries - help_env)])

    # Everywhere in the page.
    text = plain("\n".join(lines))
    mentioned_env = set(re.findall(r"\bVIGIL_[A-Z0-9_]*[A-Z0-9]\b", text))
    ok(mentioned_env <= help_env, "every VIGIL_* variable the page mentions exists",
       sorted(mentioned_env - help_env))
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]", text))
    unknown = sorted(mentioned - {"--" + k for k in opts} - FOREIGN)
    ok(not unknown, "every --option the page mentions is an option of --help (or another "
       "program's: %s)" % ", ".join(sorted(FOREIGN)), unknown)
    hidden = sorted(h for h in HIDDEN if h in text or h[2:] in text)
    ok(not hidden and not (HIDDEN & {"--" + k for k in opts}),
       "the hidden test-only options are neither in --help nor in the page", hidden)
    sys.exit(tap.exit_code())


main()
