#!/usr/bin/env python3
"""A small HTTP server for Glia's URL-download tests (stdlib only).

Usage: http_fixture.py DIR [--log FILE]

Listens on 127.0.0.1 on an ephemeral port, prints the port on stdout, and serves the files of
DIR until killed. Files are read at each request, so a test may rewrite one between requests.

  /NAME               DIR/NAME (percent-decoded), with Range ("bytes=START-[END]") and If-Range (ETag) support
  /slow/NAME          the same, dripping 64 bytes every 0.25 s
  /drop/NAME          the first request for NAME sends half the file, then closes the connection;
                      later ones are served normally (a Range retry gets the rest)
  /500-then-ok/NAME   the first two requests for NAME answer 500, then it is served
  anything else       404

With --log, every request is appended to FILE as "PATH RANGE" (RANGE "-" when none).
"""
import hashlib
import os
import socket
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

ROOT = ""
LOG = None
COUNTS = {}
LOCK = threading.Lock()


def count(key):
    with LOCK:
        COUNTS[key] = COUNTS.get(key, 0) + 1
        return COUNTS[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if LOG:
            with LOCK, open(LOG, "a") as log:
                log.write("%s %s\n" % (path, self.headers.get("Range", "-")))
        mode, name = "", unquote(path.lstrip("/"))
        for prefix in ("slow", "drop", "500-then-ok"):
            if name.startswith(prefix + "/"):
                mode, name = prefix, name[len(prefix) + 1:]
        file = os.path.join(ROOT, name)
        if ".." in name.split("/") or not name or not os.path.isfile(file):
            return self.answer(404, b"not found\n")
        if mode == "500-then-ok" and count(path) <= 2:
            return self.answer(500, b"try again\n")
        with open(file, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        start, end, status = 0, len(data), 200
        wanted = self.headers.get("Range")
        if wanted and self.headers.get("If-Range", etag) == etag and wanted.startswith("bytes="):
            first, _, last = wanted[len("bytes="):].partition("-")
            start = int(first)
            end = min(int(last) + 1, len(data)) if last else len(data)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                return self.end_headers()
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(os.path.getmtime(file), usegmt=True))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
        self.end_headers()
        body = data[start:end]
        try:
            if mode == "slow":
                for i in range(0, len(body), 64):
                    self.wfile.write(body[i:i + 64])
                    self.wfile.flush()
                    time.sleep(0.25)
            elif mode == "drop" and not wanted and count(path) == 1:
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    global ROOT, LOG
    args = sys.argv[1:]
    if "--log" in args:
        i = args.index("--log")
        LOG = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    ROOT = args[0]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
