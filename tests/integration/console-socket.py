#!/usr/bin/env python3
# console-socket.py SOCKET OUT INPUT: the end of runc's console socket
# protocol that conmon and containerd's shim keep.  Listen on SOCKET, take
# one connection's message (its text and the terminal master it carries),
# write "NAME\n" to OUT.tmp, type INPUT on the terminal, then copy what
# the terminal shows to OUT.tmp until its other end is closed by all, and
# rename OUT.tmp to OUT (so OUT appears whole).
import array
import os
import socket
import sys

path, out, typed = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
conn.close()
srv.close()
if len(fds) != 1:
    sys.exit(f"console-socket.py: {len(fds)} descriptors in the message, not 1")
master = fds[0]
with open(out + ".tmp", "wb") as f:
    f.write(msg + b"\n")
    f.flush()
    os.write(master, typed.encode())
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: no one has the other end open any more
            break
        if not data:
            break
        f.write(data)
        f.flush()
os.rename(out + ".tmp", out)
