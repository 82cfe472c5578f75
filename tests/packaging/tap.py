# SPDX-License-Identifier: Apache-2.0
"""TAP output shared by the packaging checks written in Python."""
import sys

count = 0
failed = False


def ok(cond, desc, detail=()):
    """Prints one TAP line for `cond`; `detail` lines follow a failure as comments."""
    global count, failed
    count += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (count, desc))
    if not cond:
        failed = True
        for d in detail:
            print("# " + str(d))
    sys.stdout.flush()
    return cond


def exit_code():
    return 1 if failed else 0
