"""The background delivery of a run's metric points, params, tags and log lines.

Callers append to one queue (a `collections.deque`, whose `append` is atomic: no lock on the
hot path); one sender thread per run takes everything queued at least every `interval`
seconds, or as soon as `batch_size` items wait, and sends it in order: consecutive metric
points as one `POST /runs/{id}/metrics` (up to 10,000 points, serialised by hand into the
body, each key's JSON encoded once), consecutive params, tags and log lines as one request
each. Connection errors, 429 and 5xx are retried with capped exponential backoff for the
transport's retry window. A refusal (4xx) is not retried: the offending point or key is set
aside (named by the API's `field`) and the rest is sent again, so one bad key does not take
its batch with it. What could not be delivered is kept and raised by the next `flush()`.

Queue items: metric points are 4-tuples `(key, value, step, time_seconds)`; other items are
2-tuples `(kind, payload)` with kind "params", "tags" or "log"; a `threading.Event` is a
flush marker, set once everything queued before it has been dealt with.
"""

from __future__ import annotations

import collections
import json
import re
import sys
import threading
from datetime import datetime, timezone

from . import errors
from .transport import Transport

MAX_POINTS = 10_000   # data's limit per metrics request
MAX_FIELDS = 200      # params or tags per request
MAX_ENTRIES = 10_000  # log entries per request
MAX_MESSAGE = 64 * 1024 - 16

_POINT_FIELD = re.compile(r"^points\.(\d+)\.(\w+)$")
_ENTRY_FIELD = re.compile(r"^entries\.(\d+)")


def non_finite_text(value: float, nan: str) -> str:
    """A NaN or ±inf as data and MLflow's server keep it: `nan` (how the caller's format names a
    NaN) for NaN, ±inf as the largest double of its sign."""
    return nan if value != value else repr(sys.float_info.max if value > 0 else -sys.float_info.max)


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Sender:
    def __init__(self, transport: Transport, run_id: str, batch_size: int = 1000, interval: float = 1.0,
                 max_points: int = MAX_POINTS):
        self.transport = transport
        self.run_id = run_id
        self.batch_size = batch_size
        self.interval = interval
        self.max_points = max(1, min(max_points, MAX_POINTS))
        self.queue: collections.deque = collections.deque()
        self.wake = threading.Event()
        self._closing = False
        self._errors: list = []
        self._failed: list = []
        self._failed_lock = threading.Lock()
        self._key_heads: dict = {}
        self._inflight: list = []
        self.sent_points = 0
        self.requests = 0
        self._thread = threading.Thread(target=self._loop, name=f"mlexchange-sender-{run_id[:8]}", daemon=True)
        self._thread.start()

    # -- the caller's side -------------------------------------------------------------------

    def put(self, item) -> None:
        queue = self.queue
        queue.append(item)
        if len(queue) >= self.batch_size and not self.wake.is_set():
            self.wake.set()

    def flush(self, timeout: float | None = None) -> None:
        """Waits until everything queued before the call is delivered or given up; raises
        DeliveryError for what was not (once: the items are handed over with the error)."""
        if self._thread.is_alive():
            marker = threading.Event()
            self.queue.append(marker)
            self.wake.set()
            if not marker.wait(timeout):
                raise TimeoutError(f"delivery still under way after {timeout} s ({len(self.queue)} item(s) queued)")
        self.raise_failures()

    def raise_failures(self) -> None:
        with self._failed_lock:
            failed, problems = self._failed, self._errors
            self._failed, self._errors = [], []
        if problems:
            raise errors.DeliveryError(problems, failed)

    def close(self, timeout: float | None = None) -> None:
        """Delivers what is queued, then stops the thread."""
        self._closing = True
        self.wake.set()
        self._thread.join(timeout)

    # -- the sender thread -------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            self.wake.wait(self.interval)
            self.wake.clear()
            try:
                self._drain()
            except BaseException as error:  # never let the thread die with items queued or in flight
                queue = self.queue
                self._fail(self._inflight + [queue.popleft() for _ in range(len(queue))], error)
            self._inflight = []
            if self._closing and not self.queue:
                self.transport.close()
                return

    def _drain(self) -> None:
        queue = self.queue
        popleft = queue.popleft
        while queue:
            items = self._inflight = [popleft() for _ in range(len(queue))]
            points: list = []
            group_kind = None
            group: list = []
            for item in items:
                if type(item) is tuple and len(item) == 4:
                    if group:
                        self._send_group(group_kind, group)
                        group = []
                    points.append(item)
                    if len(points) >= self.max_points:
                        self._send_points(points)
                        points = []
                    continue
                if points:
                    self._send_points(points)
                    points = []
                if isinstance(item, threading.Event):
                    if group:
                        self._send_group(group_kind, group)
                        group = []
                    item.set()
                    continue
                kind, payload = item
                if group and (kind != group_kind or not self._joins(kind, group, payload)):
                    self._send_group(group_kind, group)
                    group = []
                group_kind = kind
                group.append(item)
            if points:
                self._send_points(points)
            if group:
                self._send_group(group_kind, group)

    @staticmethod
    def _joins(kind, group, payload) -> bool:
        if kind == "log":
            return len(group) < MAX_ENTRIES
        keys = set()
        for _, earlier in group:
            keys.update(earlier)
        # A param given twice goes in its own request, so a conflicting value is refused alone.
        return len(keys | set(payload)) <= MAX_FIELDS and (kind == "tags" or not keys & set(payload))

    # -- metric points -----------------------------------------------------------------------

    def _body(self, points: list) -> bytes:
        """The request body for `points`."""
        heads = self._key_heads
        parts = []
        append = parts.append
        for key, value, step, seconds in points:
            head = heads.get(key)
            if head is None:
                head = heads[key] = '{"key":' + json.dumps(key if type(key) is str else str(key)) + ',"value":'
            # JSON has no NaN or infinity: NaN goes as protobuf's "NaN", which data keeps (read
            # back as null); ±inf as the largest double, which is how data and MLflow store it.
            text = repr(value) if value - value == 0.0 else non_finite_text(value, '"NaN"')
            append(f'{head}{text},"step":{"null" if step is None else int(step)},"timestamp":{int(seconds * 1000)}}}')
        return ('{"points":[' + ",".join(parts) + "]}").encode()

    def _send_points(self, points: list) -> None:
        while points:
            body = self._body(points)
            response = self._post("POST", f"/v1/runs/{self.run_id}/metrics", body, points)
            if response is None:
                return
            if response.status < 300:
                self.sent_points += len(points)
                return
            error = errors.api_error(response.status, response.body)
            match = _POINT_FIELD.match(error.field or "")
            if response.status == 400 and match and int(match.group(1)) < len(points):
                bad = points[int(match.group(1))]
                if match.group(2) == "key":  # every point of that key goes with it
                    out = [point for point in points if point[0] == bad[0]]
                    points = [point for point in points if point[0] != bad[0]]
                else:
                    out = [bad]
                    points = [point for point in points if point is not bad]
                # The API names the batch's index; the caller knows the metric by its key.
                self._fail(out, error.naming(f"metrics.{bad[0]}"))
                continue
            self._fail(points, error)
            return

    # -- params, tags, log lines -------------------------------------------------------------

    def _send_group(self, kind: str, group: list) -> None:
        if kind == "log":
            path, method = f"/v1/runs/{self.run_id}/logs", "POST"
        elif kind == "params":
            path, method = f"/v1/runs/{self.run_id}/params", "POST"
        else:
            path, method = f"/v1/runs/{self.run_id}/tags", "PATCH"
        while group:
            if kind == "log":
                body = {"entries": [payload for _, payload in group]}
            else:
                merged: dict = {}
                for _, payload in group:
                    merged.update(payload)
                body = {kind: merged}
            data = json.dumps(body, separators=(",", ":"), default=str).encode()
            response = self._post(method, path, data, group)
            if response is None or response.status < 300:
                return
            error = errors.api_error(response.status, response.body)
            field = error.field or ""
            culprit = None
            if kind == "log":
                match = _ENTRY_FIELD.match(field)
                if match and int(match.group(1)) < len(group):
                    culprit = group[int(match.group(1))]
                    group = [item for item in group if item is not culprit]
                    self._fail([culprit], error)
                    continue
            elif field.startswith(kind + "."):
                key = field[len(kind) + 1:]
                culprits = [item for item in group if key in item[1]]
                if culprits:
                    # Send the others again without the refused key.
                    self._fail([(kind, {key: item[1][key]}) for item in culprits], error)
                    rest = []
                    for item in group:
                        payload = {k: v for k, v in item[1].items() if k != key}
                        if payload:
                            rest.append((kind, payload))
                    group = rest
                    continue
            self._fail(group, error)
            return

    # -- delivery ------------------------------------------------------------------------------

    def _post(self, method: str, path: str, body: bytes, items: list):
        """The answer, or None when the server could not be reached within the retry window
        (the items are then kept as failed)."""
        try:
            self.requests += 1
            return self.transport.request(method, "data", path, body=body,
                                          headers={"Content-Type": "application/json"})
        except errors.ConnectionFailed as error:
            self._fail(items, error)
            return None

    def _fail(self, items: list, error: BaseException) -> None:
        with self._failed_lock:
            self._failed.extend(item for item in items if not isinstance(item, threading.Event))
            self._errors.append(error)
        for item in items:  # a flush waiting behind these must not wait forever
            if isinstance(item, threading.Event):
                item.set()
