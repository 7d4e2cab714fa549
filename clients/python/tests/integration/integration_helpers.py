"""What the integration tests share: our own API for reading things back, data frozen for a
while, polling."""

import json
import os
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager


class OurAPI:
    """JSON calls to MLExchange's API through the gateway, as `mlex` and the web UI make them."""

    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def request(self, method, path, body=None, headers=None):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None and not isinstance(body, bytes):
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, method, path, body=None):
        status, raw = self.request(method, path, body)
        assert 200 <= status < 300, f"{method} {path}: {status} {raw[:500]!r}"
        return json.loads(raw) if raw else None

    def get(self, path):
        return self.json("GET", path)

    def run(self, run_id):
        return self.get(f"/api/data/v1/runs/{run_id}")

    def history(self, run_id, key):
        """Every point of a run's metric, in the order they arrived."""
        points, after = [], 0
        while True:
            query = urllib.parse.urlencode({"key": key, "after": after, "limit": 25000})
            page = self.get(f"/api/data/v1/runs/{run_id}/metrics/history?{query}")
            points += page["items"]
            if "nextAfter" not in page:
                return points
            after = page["nextAfter"]

    def paged(self, path, **query):
        """Every item of a keyset-paged list (`items`, `nextAfter`)."""
        items, after = [], None
        while True:
            page_query = {**query, "limit": 500} | ({"after": after} if after else {})
            page = self.get(f"{path}?{urllib.parse.urlencode(page_query)}")
            items += page["items"]
            after = page.get("nextAfter")
            if not after:
                return items

    def run_files(self, run_id):
        """A run's files by path: {path: file} (size, sha256, …)."""
        return {item["path"]: item for item in self.paged(f"/api/data/v1/runs/{run_id}/files")}

    def logs(self, run_id):
        return self.paged(f"/api/data/v1/runs/{run_id}/logs")

    def new_project(self, prefix="py"):
        return self.json("POST", "/api/data/v1/projects", {"name": f"{prefix}-{uuid.uuid4().hex[:10]}"})


@contextmanager
def data_stopped():
    """Data's process frozen (SIGSTOP) for the block: its port still accepts connections, but
    nothing answers, as with a hung server or a long GC pause. Always resumed."""
    pid = int(os.environ["MLEX_TEST_DATA_PID"])
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def wait_for(predicate, timeout=60, interval=0.2, what="condition"):
    """Polls until `predicate()` is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(interval)
