#!/usr/bin/env python3
"""bench/api-client.py SOCKET CONTAINER FILE RUNS: LXD API operations from
one client that stays connected (http.client over the unix socket, one
keep-alive connection), so that what is timed is the server's work and
the HTTP exchange, not a client's start.  Prints one line per operation:
NAME MEDIAN_SECONDS.  Operations, each waited for as LXD's client does:
exec (POST .../exec without websockets, then GET /1.0/operations/ID/wait),
list (GET /1.0/instances?recursion=2, what `lxc list` asks), stop --force
and start (PUT .../state, then wait), file push (POST .../files of FILE),
launch (POST /1.0/instances from the image `busybox`, then PUT .../state
start; the container is deleted after each round, untimed)."""
import http.client
import json
import socket
import statistics
import sys
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("lxd")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(conn, method, url, body=None, headers=None):
    conn.request(method, url, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    doc = json.loads(data) if data else {}
    if resp.status >= 400:
        sys.exit(f"api-client.py: {method} {url}: {resp.status} {doc.get('error')}")
    if doc.get("type") == "async":
        op = doc["metadata"]["id"]
        conn.request("GET", f"/1.0/operations/{op}/wait?timeout=30")
        resp = conn.getresponse()
        doc = json.loads(resp.read())
        if doc["metadata"]["status"] != "Success":
            sys.exit(f"api-client.py: {method} {url}: {doc['metadata'].get('err')}")
    return doc


def main():
    sock, name, path, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    conn = UnixConnection(sock)
    with open(path, "rb") as f:
        payload = f.read()
    ops = {
        "exec": lambda: call(conn, "POST", f"/1.0/instances/{name}/exec",
                             json.dumps({"command": ["/bin/true"], "wait-for-websocket": False})),
        "list": lambda: call(conn, "GET", "/1.0/instances?recursion=2"),
        "stop --force": lambda: call(conn, "PUT", f"/1.0/instances/{name}/state",
                                     json.dumps({"action": "stop", "force": True})),
        "start": lambda: call(conn, "PUT", f"/1.0/instances/{name}/state", json.dumps({"action": "start"})),
        "file push": lambda: call(conn, "POST", f"/1.0/instances/{name}/files?path=/root/f", payload,
                                  {"Content-Type": "application/octet-stream", "X-LXD-type": "file",
                                   "X-LXD-write": "overwrite"}),
    }
    def launch():
        call(conn, "POST", "/1.0/instances",
             json.dumps({"name": "bench-api-launch", "source": {"type": "image", "alias": "busybox"}}))
        call(conn, "PUT", "/1.0/instances/bench-api-launch/state", json.dumps({"action": "start"}))

    def unlaunch():
        call(conn, "PUT", "/1.0/instances/bench-api-launch/state", json.dumps({"action": "stop", "force": True}))
        call(conn, "DELETE", "/1.0/instances/bench-api-launch")

    ops["launch"] = launch
    times = {k: [] for k in ops}
    # Rounds on the running container first, then stop/start rounds (an
    # exec right after a start would time the container's first steps).
    for group in (("exec", "list", "file push"), ("stop --force", "start"), ("launch",)):
        for i in range(runs + 3):
            for k in group:
                t = time.perf_counter()
                ops[k]()
                if i >= 3:  # warm-up rounds
                    times[k].append(time.perf_counter() - t)
                if k == "launch":
                    unlaunch()
    for k in ("exec", "list", "stop --force", "start", "file push", "launch"):
        print(k, statistics.median(times[k]))


main()
