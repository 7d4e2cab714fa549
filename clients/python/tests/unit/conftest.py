"""A tiny HTTP/1.1 stub of the gateway for unit tests: it records requests and answers what
the test's handler says (default: the data service's metrics/params/tags/logs answers)."""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import mlexchange  # noqa: E402,F401  (importable from the sources)
from mlexchange import client as client_module  # noqa: E402
from mlexchange.config import Settings  # noqa: E402
from mlexchange.transport import Transport  # noqa: E402


class Stub:
    def __init__(self):
        self.requests = []          # (method, path, headers, body)
        self.points = []            # every metric point accepted
        self.params, self.tags, self.logs = {}, {}, []
        self.connections = 0
        self.handler = None         # f(stub, method, path, headers, body) -> (status, dict|bytes, headers) or None
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with stub.lock:
                    stub.connections += 1

            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with stub.lock:
                    stub.requests.append((self.command, self.path, dict(self.headers), body))
                answer = stub.handler(stub, self.command, self.path, self.headers, body) if stub.handler else None
                if answer is None:
                    answer = stub.default(self.command, self.path, body)
                if answer == "cut":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, payload, headers = (answer + ({},))[:3] if len(answer) == 2 else answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def default(self, method, path, body):
        if method == "POST" and path.endswith("/metrics"):
            points = json.loads(body)["points"]
            with self.lock:
                self.points.extend(points)
            return 200, {"accepted": len(points)}
        if method == "POST" and path.endswith("/params"):
            self.params.update(json.loads(body)["params"])
            return 200, {"id": "r"}
        if method == "PATCH" and path.endswith("/tags"):
            self.tags.update(json.loads(body)["tags"])
            return 200, {"id": "r"}
        if method == "POST" and path.endswith("/logs"):
            self.logs.extend(json.loads(body)["entries"])
            return 200, {"accepted": 1}
        return 404, {"error": {"code": "not_found", "message": f"no route {method} {path}"}}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


@pytest.fixture
def transport(stub, tmp_path):
    env = {"HOME": str(tmp_path), "MLEX_URL": stub.url, "MLEX_TOKEN": "t0ken"}
    return Transport(Settings(environ=env), retry_seconds=5.0, timeout=5.0)


@pytest.fixture(autouse=True)
def no_job(monkeypatch, tmp_path):
    for name in ("MLEX_JOB_ID", "MLEX_RUN_ID", "MLEX_PROJECT_ID", "MLEX_PARAMS", "MLEX_OUTPUT_DIR", "MLEX_URL",
                 "MLEX_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    client_module._transport = None
    client_module._options.clear()
    yield
    client_module._transport = None
    client_module._options.clear()
