#!/usr/bin/env python3
# subreaper.py OUT CMD...: what conmon and containerd's shim do around an
# OCI runtime: become the child subreaper, run CMD (the runtime's
# `create`), then reap whatever comes to us (the container's process, once
# CMD has exited) until nothing is left.  Each exit goes to OUT as a line
# "PID CODE" (CODE: the exit code, or minus the signal), CMD's first.
import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit(f"subreaper.py: prctl: {os.strerror(ctypes.get_errno())}")
out = sys.argv[1]
child = os.fork()
if child == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
while True:
    try:
        pid, status = os.wait()
    except ChildProcessError:
        break
    with open(out, "a", encoding="ascii") as f:
        f.write(f"{pid} {os.waitstatus_to_exitcode(status)}\n")
