"""Where the client connects and with which token.

The URL is `configure(url=)`, else `MLEX_URL`, else the URL `mlex login` saved, else
http://localhost:8000. The token is `configure(token=)`, else `MLEX_TOKEN`, else the access token
`mlex login` saved in `$XDG_CONFIG_HOME/mlex/config` (default `~/.config/mlex/config`, a JSON
object with `url`, `email`, `accessToken`, `refreshToken`). A saved session is refreshed once when
the server says its access token expired, and the new tokens are written back the way `mlex`
writes them (0600, replaced atomically), so `mlex` and Python share one login.
"""

from __future__ import annotations

import json
import os
import threading

DEFAULT_URL = "http://localhost:8000"


def config_file(environ=None) -> str:
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".config")
    return os.path.join(base, "mlex", "config")


def _load(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            stored = json.load(handle)
        return stored if isinstance(stored, dict) else {}
    except (OSError, ValueError):
        return {}


class Settings:
    """The URL and the token source. Thread-safe; `refresh` is shared by concurrent callers."""

    def __init__(self, url: str | None = None, token: str | None = None, environ=None):
        environ = os.environ if environ is None else environ
        self.file = config_file(environ)
        stored = _load(self.file)
        chosen = url or environ.get("MLEX_URL") or stored.get("url") or DEFAULT_URL
        if not chosen.startswith(("http://", "https://")):
            raise ValueError(f'the server URL "{chosen}" is not an http(s) URL (from configure(url=), MLEX_URL or {self.file})')
        self.url = chosen.rstrip("/")
        self.fixed_token = token or environ.get("MLEX_TOKEN") or None
        self._access = None if self.fixed_token else stored.get("accessToken")
        self._refresh = None if self.fixed_token else stored.get("refreshToken")
        self._lock = threading.Lock()

    @property
    def token(self) -> str | None:
        return self.fixed_token or self._access

    def can_refresh(self) -> bool:
        return self.fixed_token is None and bool(self._refresh)

    def refresh(self, stale: str | None, exchange) -> str | None:
        """New access token after a 401 with `stale`; None when there is none to be had.
        `exchange(refresh_token)` calls the users service and returns its answer (a dict)."""
        if self.fixed_token is not None:
            return None
        with self._lock:
            if self._access and self._access != stale:
                return self._access  # another thread refreshed already
            stored = _load(self.file)
            if stored.get("accessToken") and stored.get("accessToken") != stale:
                # Another process (mlex, another script) refreshed: refresh tokens rotate, so use theirs.
                self._access, self._refresh = stored.get("accessToken"), stored.get("refreshToken")
                return self._access
            if not self._refresh:
                return None
            answer = exchange(self._refresh)
            if not answer or not answer.get("accessToken"):
                return None
            self._access, self._refresh = answer["accessToken"], answer.get("refreshToken")
            stored["accessToken"], stored["refreshToken"] = self._access, self._refresh
            stored.setdefault("url", self.url)
            try:
                _save(self.file, stored)
            except OSError:
                pass  # the session still works for this process
            return self._access


def _save(path: str, stored: dict) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    temporary = os.path.join(directory, f".config.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(stored, handle, indent=2, sort_keys=True)
    os.replace(temporary, path)
