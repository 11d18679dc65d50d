#!/usr/bin/env python3
# A hostile LXD server for one test (api.bats): on the unix socket ARGV[1],
# it has one image, the file ARGV[2] (its fingerprint the file's sha256),
# and its export names the file `.bashrc`, as if to replace the user's.
import hashlib, json, os, socketserver, sys
from http.server import BaseHTTPRequestHandler
sock, body_file = sys.argv[1], sys.argv[2]
body = open(body_file, "rb").read()
fp = hashlib.sha256(body).hexdigest()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, data, ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items(): self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/1.0":
            self.send(200, json.dumps({"type": "sync", "status_code": 200, "metadata": {"api_extensions": [], "auth": "trusted"}}).encode())
        elif p == "/1.0/images/" + fp:
            self.send(200, json.dumps({"type": "sync", "status_code": 200, "metadata": {"fingerprint": fp}}).encode())
        elif p == "/1.0/images/" + fp + "/export":
            self.send(200, body, "application/octet-stream", {"Content-Disposition": "attachment; filename=.bashrc"})
        else:
            self.send(404, json.dumps({"type": "error", "error_code": 404, "error": "not found"}).encode())
class S(socketserver.UnixStreamServer):
    def get_request(self):
        r, _ = super().get_request()
        return r, ("local", 0)
if os.path.exists(sock): os.unlink(sock)
S(sock, H).serve_forever()
