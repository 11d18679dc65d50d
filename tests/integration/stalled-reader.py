#!/usr/bin/env python3
# stalled-reader.py SOCK SERVER_PID: copy stdin to stdout, but read nothing
# until either the server's exec operation has ended (the command and the
# relay that feeds the server its output are gone: the server saw that
# pipe hang up while our side was full) or the relay is blocked writing to
# the server's full pipe (the output does not fit; nothing to learn this
# time).  Then read it all.  Says which on stderr: "ended" or "blocked".
import json
import subprocess
import sys
import time

sock, server = sys.argv[1], sys.argv[2]
inp, out = sys.stdin.buffer, sys.stdout.buffer


def running():
    r = subprocess.run(["curl", "-s", "-m", "30", "--unix-socket", sock, "http://lxd/1.0/operations"],
                       capture_output=True, stdin=subprocess.DEVNULL, check=False)
    if r.returncode != 0:
        # Seen once under ASan: the server spinning in libwebsockets'
        # forced service while this reader stalls.  Fail, do not hang.
        print("server-unresponsive", file=sys.stderr)
        sys.exit(1)
    return json.loads(r.stdout)["metadata"].get("running")


def relay_write():
    """The relay's (the operation's process) count of bytes written, if
    it is blocked writing to a pipe; None if it is not."""
    try:
        with open(f"/proc/{server}/task/{server}/children") as f:
            children = f.read().split()
    except OSError:
        return None
    for c in children:
        try:
            with open(f"/proc/{c}/wchan") as f:
                if f.read() not in ("pipe_write", "anon_pipe_write"):
                    continue
            with open(f"/proc/{c}/io") as f:
                return next(l for l in f if l.startswith("wchar:"))
        except OSError:
            pass
    return None


while True:
    if not running():
        state = "ended"
        break
    # Blocked, and for 0.2 s no further: not a pipe full for a moment.
    w = relay_write()
    if w is not None:
        time.sleep(0.2)
        if relay_write() == w:
            state = "blocked"
            break
    time.sleep(0.02)
print(state, file=sys.stderr)
while True:
    b = inp.read1(65536)
    if not b:
        break
    out.write(b)
