# SPDX-License-Identifier: Apache-2.0
"""Sets PR_SET_CHILD_SUBREAPER, which survives exec, then execs its arguments."""
import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl failed: errno %d" % ctypes.get_errno())
os.execvp(sys.argv[1], sys.argv[1:])
