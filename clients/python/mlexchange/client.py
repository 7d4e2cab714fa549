"""The process-wide connection settings: `configure()` and the shared transport."""

from __future__ import annotations

import threading

from .config import Settings
from .transport import Transport

_lock = threading.Lock()
_transport: Transport | None = None
_options: dict = {}


def configure(url: str | None = None, token: str | None = None, *, retry_seconds: float = 300.0,
              timeout: float = 60.0) -> None:
    """Sets the server and token for what follows (both optional: see `mlexchange.config`).
    `retry_seconds` bounds how long a request is retried on connection errors, 429 and 5xx
    (default 5 minutes); `timeout` is the wait for an answer once connected (60 s)."""
    global _transport
    with _lock:
        _options.clear()
        _options.update(url=url, token=token, retry_seconds=retry_seconds, timeout=timeout)
        _transport = None


def transport() -> Transport:
    """The shared transport, made on first use from `configure()`'s options and the environment."""
    global _transport
    with _lock:
        if _transport is None:
            settings = Settings(url=_options.get("url"), token=_options.get("token"))
            _transport = Transport(settings, retry_seconds=_options.get("retry_seconds", 300.0),
                                   timeout=_options.get("timeout", 60.0))
        return _transport
