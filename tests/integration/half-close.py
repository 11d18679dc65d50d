#!/usr/bin/env python3
# half-close.py SOCK PATH READY RELEASE: GET PATH over the unix socket
# SOCK, read the answer's first bytes, then read nothing: once the
# server's writes have filled the socket (our receive queue stops
# growing), shut down our sending side and touch READY.  Hold the socket
# open, unread, until RELEASE exists (60 s at most).
import fcntl
import os
import socket
import struct
import sys
import termios
import time

sock, path, ready, release = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
s.sendall(f"GET {path} HTTP/1.1\r\nHost: lxd\r\n\r\n".encode())
s.recv(200)
last = -1
while True:
    time.sleep(0.2)
    queued = struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0\0\0\0"))[0]
    if queued == last:
        break
    last = queued
s.shutdown(socket.SHUT_WR)
open(ready, "w").close()
for _ in range(1200):
    if os.path.exists(release):
        break
    time.sleep(0.05)
s.close()
