"""HTTP to the gateway: one keep-alive connection per thread, JSON calls, streamed bodies,
retries with capped exponential backoff on connection errors, 429 and 5xx, and one token
refresh on a 401."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.parse

from . import errors
from .config import Settings

USER_AGENT = "mlexchange-python/0.1"
#: What a connection can fail with before an answer arrives.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


class Backoff:
    """Exponential delays from `initial` to `cap` seconds (with a little jitter), for at most
    `total` seconds in all."""

    def __init__(self, total: float, initial: float = 0.1, cap: float = 5.0):
        self.total, self.initial, self.cap = total, initial, cap
        self.started = time.monotonic()
        self.delay = initial

    def next_delay(self, hint: float | None = None) -> float | None:
        """Seconds to sleep before the next attempt, or None when the time allowed is spent."""
        left = self.total - (time.monotonic() - self.started)
        if left <= 0:
            return None
        delay = hint if hint is not None else self.delay * (0.75 + random.random() * 0.5)
        self.delay = min(self.delay * 2, self.cap)
        return max(0.0, min(delay, left, self.cap if hint is None else max(hint, self.cap)))


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body) if self.body else None


def retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class Transport:
    """Requests to `<url>/api/<service><path>`; safe to share between threads."""

    def __init__(self, settings: Settings, retry_seconds: float = 300.0, timeout: float = 60.0,
                 connect_timeout: float = 10.0):
        self.settings = settings
        self.retry_seconds = retry_seconds
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        parsed = urllib.parse.urlsplit(settings.url)
        self.https = parsed.scheme == "https"
        self.host = parsed.hostname or "localhost"
        self.port = parsed.port or (443 if self.https else 80)
        self.prefix = parsed.path.rstrip("/")
        self._local = threading.local()

    # -- connections --------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            connection = kind(self.host, self.port, timeout=self.connect_timeout, blocksize=1 << 20)
            connection.connect()
            connection.sock.settimeout(self.timeout)
            try:
                import socket

                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            self._local.connection = connection
        return connection

    def close(self) -> None:
        """Closes this thread's connection (others close when their thread's local goes)."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def path(self, service: str, path: str, query: dict | None = None) -> str:
        full = f"{self.prefix}/api/{service}{path}"
        if query:
            pairs = [(k, str(v)) for k, v in query.items() if v is not None]
            if pairs:
                full += "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
        return full

    # -- one exchange ---------------------------------------------------------------------------

    def _exchange(self, method, target, body, headers, stream=False):
        """One request on this thread's connection. A keep-alive connection the server closed
        while idle fails at once: that is retried once on a fresh connection, without waiting."""
        for attempt in (0, 1):
            fresh = getattr(self._local, "connection", None) is None
            try:
                connection = self._connection()
                if hasattr(body, "seek") and attempt:
                    body.seek(0)
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                if stream:
                    return response
                data = response.read()
                if response.will_close:
                    self.close()
                return Response(response.status, response.headers, data)
            except CONNECTION_ERRORS as error:
                self.close()
                stale = isinstance(error, (http.client.RemoteDisconnected, BrokenPipeError,
                                           ConnectionResetError, http.client.BadStatusLine))
                if attempt or fresh or not stale or (body is not None and not _rewindable(body)):
                    raise

    def request(self, method: str, service: str, path: str, *, query=None, body=None, headers=None,
                json_body=None, retry: float | None = None, stream: bool = False,
                authenticated: bool = True):
        """The response to one request, retried on connection errors, 429 and 5xx for up to
        `retry` seconds (default: the transport's), with one refresh of a saved session on
        401. Raises ConnectionFailed when the server stays unreachable; an error answer is
        returned (callers decide), except through `call`."""
        target = self.path(service, path, query)
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":"), allow_nan=False).encode()
            all_headers["Content-Type"] = "application/json"
        if headers:
            all_headers.update(headers)
        backoff = Backoff(self.retry_seconds if retry is None else retry)
        refreshed = False
        while True:
            token = self.settings.token if authenticated else None
            if token:
                all_headers["Authorization"] = f"Bearer {token}"
            try:
                response = self._exchange(method, target, body, all_headers, stream=stream)
            except CONNECTION_ERRORS as error:
                delay = backoff.next_delay() if _rewindable(body) else None
                if delay is None:
                    raise errors.ConnectionFailed(
                        f"{method} {self.settings.url}{target}: {type(error).__name__}: {error}") from error
                time.sleep(delay)
                continue
            status = response.status
            if status == 401 and authenticated and not refreshed and self.settings.can_refresh():
                refreshed = True
                _drain(response, stream)
                if self.settings.refresh(token, self._exchange_refresh):
                    if hasattr(body, "seek"):
                        body.seek(0)
                    continue
                return _read(response, stream)
            if retryable_status(status) and _rewindable(body):
                hint = _retry_after(response.headers.get("Retry-After"))
                delay = backoff.next_delay(hint)
                if delay is not None:
                    _drain(response, stream)
                    if hasattr(body, "seek"):
                        body.seek(0)
                    time.sleep(delay)
                    continue
            return response

    def _exchange_refresh(self, refresh_token: str):
        response = self.request("POST", "users", "/v1/sessions/refresh",
                                json_body={"refreshToken": refresh_token}, authenticated=False, retry=30)
        return response.json() if response.status == 200 else None

    def call(self, method: str, service: str, path: str, body=None, *, query=None, retry=None):
        """A JSON call; the parsed answer (None when empty). Raises APIError on an error answer."""
        response = self.request(method, service, path, query=query, json_body=body, retry=retry)
        if response.status >= 300:
            raise errors.api_error(response.status, response.body, getattr(response, "reason", ""))
        return response.json()

    def pages(self, service: str, path: str, query=None, limit: int = 200):
        """Every item of a keyset-paged list (`items`, `nextAfter`)."""
        after = None
        while True:
            page = self.call("GET", service, path, query={**(query or {}), "limit": limit, "after": after})
            yield from page.get("items") or []
            after = page.get("nextAfter")
            if not after:
                return


def _rewindable(body) -> bool:
    return body is None or isinstance(body, (bytes, bytearray, memoryview, str)) or hasattr(body, "seek")


def _drain(response, stream):
    if stream:
        try:
            response.read()
        except CONNECTION_ERRORS:
            pass


def _read(response, stream):
    if stream:
        data = response.read()
        return Response(response.status, response.headers, data)
    return response


def _retry_after(value):
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
