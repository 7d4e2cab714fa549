"""The transport: error answers as exceptions, backoff, token refresh from mlex's saved login."""

import json
import os
import stat

import pytest

import mlexchange
from mlexchange.config import Settings
from mlexchange.transport import Backoff, Transport


def test_error_answers_become_exceptions_with_code_message_and_field(stub, transport):
    stub.handler = lambda *a: (404, {"error": {"code": "not_found", "message": "no run", "field": "id"}})
    with pytest.raises(mlexchange.NotFound) as raised:
        transport.call("GET", "data", "/v1/runs/x")
    assert (raised.value.status, raised.value.code, raised.value.message, raised.value.field) == \
        (404, "not_found", "no run", "id")
    stub.handler = lambda *a: (400, {"error": {"code": "invalid_filter", "message": "bad", "field": "filter",
                                               "position": 7}})
    with pytest.raises(mlexchange.BadRequest) as raised:
        transport.call("POST", "data", "/v1/runs/search", {})
    assert raised.value.position == 7
    for status, kind in ((401, mlexchange.Unauthorized), (403, mlexchange.Forbidden), (422, mlexchange.BadRequest),
                         (409, mlexchange.Conflict)):
        stub.handler = lambda *a, status=status: (status, b"not json")
        with pytest.raises(kind):
            transport.call("GET", "data", "/v1/x")


def test_the_token_and_url_travel_as_configured(stub, transport):
    stub.handler = lambda *a: (200, {"ok": True})
    assert transport.call("GET", "data", "/v1/projects", query={"limit": 5, "after": None}) == {"ok": True}
    method, path, headers, _ = stub.requests[-1]
    assert path == "/api/data/v1/projects?limit=5"
    assert headers["Authorization"] == "Bearer t0ken"


def test_backoff_grows_to_its_cap_and_stops_after_its_total():
    backoff = Backoff(total=1.0, initial=0.1, cap=0.4)
    delays = [backoff.next_delay() for _ in range(4)]
    assert 0.07 <= delays[0] <= 0.13 and delays[3] <= 0.4
    assert delays[1] > delays[0]
    backoff.started -= 2
    assert backoff.next_delay() is None


def test_5xx_is_retried_with_retry_after_and_4xx_is_not(stub, transport):
    calls = []

    def busy(stub, method, path, headers, body):
        calls.append(path)
        if len(calls) == 1:
            return 503, {"error": {"code": "busy", "message": "busy"}}, {"Retry-After": "0"}
        if len(calls) == 2:
            return 500, b""
        return 200, {"ok": 1}

    stub.handler = busy
    assert transport.call("POST", "data", "/v1/x", {"a": 1}) == {"ok": 1}
    assert len(calls) == 3
    calls.clear()
    stub.handler = lambda *a: (calls.append(1) or (400, {"error": {"code": "bad", "message": "bad"}}))
    with pytest.raises(mlexchange.BadRequest):
        transport.call("POST", "data", "/v1/x", {"a": 1})
    assert len(calls) == 1


def test_a_saved_login_is_refreshed_once_and_written_back(stub, tmp_path):
    config = tmp_path / "xdg" / "mlex" / "config"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"url": stub.url, "email": "a@b.c", "accessToken": "old", "refreshToken": "r1"}))

    def server(stub, method, path, headers, body):
        if path == "/api/users/v1/sessions/refresh":
            assert json.loads(body) == {"refreshToken": "r1"}
            return 200, {"accessToken": "new", "refreshToken": "r2"}
        if headers.get("Authorization") == "Bearer new":
            return 200, {"ok": True}
        return 401, {"error": {"code": "unauthorized", "message": "expired"}}

    stub.handler = server
    transport = Transport(Settings(environ={"XDG_CONFIG_HOME": str(tmp_path / "xdg")}), retry_seconds=2)
    assert transport.settings.url == stub.url
    assert transport.call("GET", "data", "/v1/projects") == {"ok": True}
    saved = json.loads(config.read_text())
    assert saved == {"url": stub.url, "email": "a@b.c", "accessToken": "new", "refreshToken": "r2"}
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600


def test_configure_wins_over_the_environment_which_wins_over_the_file(tmp_path, monkeypatch):
    config = tmp_path / "xdg" / "mlex" / "config"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"url": "http://saved:1", "accessToken": "saved"}))
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert (Settings(environ=env).url, Settings(environ=env).token) == ("http://saved:1", "saved")
    env.update(MLEX_URL="http://env:2/", MLEX_TOKEN="envtoken")
    assert (Settings(environ=env).url, Settings(environ=env).token) == ("http://env:2", "envtoken")
    assert (Settings("http://arg:3", "argtoken", environ=env).url, Settings("http://arg:3", "argtoken",
                                                                            environ=env).token) == \
        ("http://arg:3", "argtoken")
    assert Settings(environ={"HOME": str(tmp_path)}).url == "http://localhost:8000"
    with pytest.raises(ValueError):
        Settings("ftp://x", environ=env)
