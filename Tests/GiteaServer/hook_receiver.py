#!/usr/bin/env python3
"""A webhook receiver for tests: records every delivery and checks its signatures.

Usage: ``hook_receiver.py SECRET OUTPUT_FILE``. It binds 127.0.0.1 on an ephemeral port, prints
``{"port": N}`` on stdout when ready, and answers every POST with 200. Each delivery is appended to
OUTPUT_FILE as one JSON line: the path, the headers, the body as text, and whether ``X-Gitea-Signature``
(hex HMAC-SHA256 of the raw body) and ``X-Hub-Signature-256`` (``sha256=`` + the same) match SECRET.
Closing stdin stops it.
"""

import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        expected = hmac.new(self.server.secret, body, hashlib.sha256).hexdigest()
        record = {
            "path": self.path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "giteaSignatureValid": hmac.compare_digest(self.headers.get("X-Gitea-Signature", ""), expected),
            "hubSignatureValid": hmac.compare_digest(self.headers.get("X-Hub-Signature-256", ""),
                                                     "sha256=" + expected),
        }
        with self.server.lock:
            with open(self.server.output, "a") as output:
                output.write(json.dumps(record) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    server.secret = sys.argv[1].encode()
    server.output = sys.argv[2]
    server.lock = threading.Lock()
    # A short poll interval: `shutdown()` waits for serve_forever's next look at its flag.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    print(json.dumps({"port": server.server_address[1], "pid": os.getpid()}), flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
