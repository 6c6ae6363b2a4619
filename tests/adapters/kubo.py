"""A small Kubo-compatible IPFS HTTP RPC server for tests (add, cat, pin/add)."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from adapters.cid import cid_v1_raw


class FakeKubo:
    def __init__(self):
        self.blocks: dict[str, bytes] = {}
        self.pins: set[str] = set()
        self.calls: list[tuple[str, dict]] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                node.calls.append((parts.path, query))
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if parts.path == "/api/v0/add":
                    if query.get("cid-version") != "1" or query.get("raw-leaves") != "true":
                        return self._answer(400, b'{"Message":"expected cid-version=1"}')
                    boundary = re.search(r"boundary=(\S+)", self.headers["Content-Type"])[1]
                    part = body.split(f"--{boundary}".encode())[1]
                    content = part.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n")
                    cid = cid_v1_raw(content)
                    node.blocks[cid] = content
                    answer = {"Name": "snapshot.json", "Hash": cid, "Size": str(len(content))}
                    return self._answer(200, json.dumps(answer).encode() + b"\n")
                if parts.path == "/api/v0/pin/add":
                    if query.get("arg") not in node.blocks:
                        return self._answer(500, b'{"Message":"not found"}')
                    node.pins.add(query["arg"])
                    return self._answer(200, json.dumps({"Pins": [query["arg"]]}).encode())
                if parts.path == "/api/v0/version":
                    return self._answer(200, b'{"Version":"0.29.0"}')
                if parts.path == "/api/v0/cat":
                    if query.get("arg") not in node.blocks:
                        return self._answer(500, b'{"Message":"block not found"}')
                    return self._answer(200, node.blocks[query["arg"]], "text/plain")
                return self._answer(404, b"404 page not found", "text/plain")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
