"""MLflow's own client (mlflow-skinny, pinned in config/python-tools.txt) against MLExchange.

MLflowClientTests (apps/web/Tests/WebGatewayTests/MLflowClientTests.swift) starts users, data,
mlhub and the gateway as processes and runs this folder with:

- MLFLOW_TRACKING_URI: the gateway (`http://127.0.0.1:<port>`, the caller's default project) or
  `http://127.0.0.1:<port>/mlflow/<project>`;
- MLFLOW_TRACKING_TOKEN: a personal API token (`mlx_…`), which the client sends as a bearer token;
- MLEX_API_URL, MLEX_API_TOKEN: the gateway and a token for reading the same things back through
  our own API (/api/data/v1/…, /api/mlhub/v1/…);
- MLEX_PROJECT: the `<project>` of the tracking URI, empty for the default project.

Without MLEX_API_URL the read-back checks are left out, so the suite can be pointed at a real
MLflow server to check the tests themselves (docs/mlflow.md, "Tests").
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime

import mlflow
import pytest
from mlflow import MlflowClient


class OurAPI:
    """JSON calls to MLExchange's own API through the gateway, as `mlex` and the web UI make them."""

    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
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
        """Every point of a run's metric, in the order they were logged."""
        points, after = [], 0
        while True:
            query = urllib.parse.urlencode({"key": key, "after": after, "limit": 10000})
            page = self.get(f"/api/data/v1/runs/{run_id}/metrics/history?{query}")
            points += page["items"]
            if "nextAfter" not in page:
                return points
            after = page["nextAfter"]

    def run_files(self, run_id):
        """A run's files by path: {path: file} (size, sha256, …)."""
        files, after = {}, None
        while True:
            query = {"limit": 1000} | ({"after": after} if after else {})
            page = self.get(f"/api/data/v1/runs/{run_id}/files?{urllib.parse.urlencode(query)}")
            files |= {item["path"]: item for item in page["items"]}
            after = page.get("nextAfter")
            if not after:
                return files

    def file_bytes(self, run_id, path):
        status, raw = self.request("GET", f"/api/data/v1/runs/{run_id}/files/{urllib.parse.quote(path)}")
        assert status == 200, f"file {path} of run {run_id}: {status}"
        return raw

    def hub_model(self, project_id, name):
        """The hub model of that name in the project, with its versions under `versions`."""
        after = None
        while True:
            query = {"limit": 500} | ({"after": after} if after else {})
            page = self.get(f"/api/mlhub/v1/projects/{project_id}/models?{urllib.parse.urlencode(query)}")
            for model in page["items"]:
                if model["name"] == name:
                    model["versions"] = self.get(f"/api/mlhub/v1/models/{model['id']}/versions?limit=500")["items"]
                    return model
            after = page.get("nextAfter")
            if not after:
                return None


@pytest.fixture(scope="session")
def ours():
    """Our own API, or None when the suite runs against a real MLflow server."""
    base = os.environ.get("MLEX_API_URL")
    return OurAPI(base, os.environ["MLEX_API_TOKEN"]) if base else None


@pytest.fixture(scope="session")
def project_id(ours):
    """The project the tracking URI logs into, as data resolves it for MLflow's routes."""
    if ours is None:
        return None
    reference = os.environ.get("MLEX_PROJECT", "")
    answer = ours.json("POST", "/api/data/v1/mlflow/projects/resolve", {"project": reference} if reference else {})
    return answer["projectId"]


@pytest.fixture
def client():
    return MlflowClient()


@pytest.fixture
def unique():
    """A name no other test (or earlier run against the same server) has used."""
    return f"pytest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def experiment_id(client, unique):
    return client.create_experiment(unique)


@pytest.fixture(autouse=True)
def no_active_run_left():
    """A failing test must not leave its fluent run active for the next one."""
    yield
    while mlflow.active_run():
        mlflow.end_run("FAILED")



def epoch_ms(timestamp):
    """Our RFC 3339 time (`2026-12-07T06:59:04.123Z`) as MLflow's epoch milliseconds."""
    return round(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)
