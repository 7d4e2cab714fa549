"""Runs: `start_run` and what a run logs, delivered in the background (outside a job) or as
the agent's protocol lines (inside one)."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time

from . import artifacts, client, errors, injob, projects
from .sender import MAX_FIELDS, MAX_MESSAGE, Sender, rfc3339

LEVELS = {"debug": "debug", "info": "info", "warning": "warning", "warn": "warning", "error": "error",
          "critical": "error"}
STATUSES = ("finished", "failed", "killed")

_live: list = []          # runs started and not finished, oldest first
_live_lock = threading.Lock()
_uncaught = False


def _scalar(value):
    """A param value as data keeps it: strings, numbers and booleans; anything else as text."""
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value - value == 0.0 else str(value)
    try:  # numpy scalars and the like
        item = value.item()
        if isinstance(item, (bool, int, float, str)):
            return _scalar(item)
    except Exception:
        pass
    return str(value)


class _Closed:
    """The queue of a finished run: logging to it is a mistake, said at once."""

    def append(self, item):
        raise RuntimeError("the run is finished; start another run to log more")

    def __len__(self):
        return 0


class Run:
    """A run being tracked. Logging calls return at once; `flush()` waits for delivery."""

    in_job = False

    def __init__(self, described: dict, transport, batch_size: int = 1000, interval: float = 1.0):
        self.info = described
        self.id = described["id"]
        self.project_id = described.get("projectId")
        self.experiment_id = described.get("experimentId")
        self.name = described.get("name")
        self.status = described.get("status", "running")
        self._transport = transport
        self._sender = Sender(transport, self.id, batch_size=batch_size, interval=interval)
        self._queue = self._sender.queue
        self._wake = self._sender.wake
        self._batch = batch_size
        self._finish_lock = threading.Lock()
        self.finished = False

    def __repr__(self):
        return f"<mlexchange.Run {self.id} {self.name!r} {self.status}>"

    # -- metrics (the hot path) ----------------------------------------------------------------

    def log_metric(self, key: str, value, step: int | None = None, timestamp: int | None = None) -> None:
        """Queues one point (`timestamp` in epoch milliseconds, default now). Never blocks."""
        queue = self._queue
        queue.append((key, float(value), step, time.time() if timestamp is None else timestamp / 1000.0))
        if len(queue) >= self._batch and not self._wake.is_set():
            self._wake.set()

    def log_metrics(self, metrics: dict, step: int | None = None, timestamp: int | None = None) -> None:
        seconds = time.time() if timestamp is None else timestamp / 1000.0
        append = self._queue.append
        for key, value in metrics.items():
            append((key, float(value), step, seconds))
        if len(self._queue) >= self._batch and not self._wake.is_set():
            self._wake.set()

    def _put(self, item) -> None:
        queue = self._queue
        queue.append(item)
        if len(queue) >= self._batch and not self._wake.is_set():
            self._wake.set()

    # -- params, tags, logs --------------------------------------------------------------------

    def log_param(self, key: str, value) -> None:
        self.log_params({key: value})

    def log_params(self, params: dict) -> None:
        """Params are written once: the same value again is fine, another one is refused (409
        `param_conflict`, raised by the next flush)."""
        items = [(str(key), _scalar(value)) for key, value in params.items()]
        for start in range(0, len(items), MAX_FIELDS):
            self._put(("params", dict(items[start:start + MAX_FIELDS])))

    def set_tag(self, key: str, value) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: dict) -> None:
        """Tags overwrite; a value of None removes the tag."""
        items = [(str(key), None if value is None else str(value)) for key, value in tags.items()]
        for start in range(0, len(items), MAX_FIELDS):
            self._put(("tags", dict(items[start:start + MAX_FIELDS])))

    def log_text(self, message: str, level: str = "info") -> None:
        """A log entry of the run (levels debug, info, warning, error)."""
        wanted = LEVELS.get(str(level).lower())
        if wanted is None:
            raise ValueError(f"level is debug, info, warning or error, not {level!r}")
        text = str(message)
        now = rfc3339(time.time())
        while True:
            piece, text = _cut(text, MAX_MESSAGE)
            self._put(("log", {"time": now, "level": wanted, "message": piece}))
            if not text:
                return

    # -- files and lineage -----------------------------------------------------------------------

    def log_artifact(self, path: str, name: str | None = None, progress=None) -> list:
        """Uploads a file (or every file of a directory) to the run as `name` (default: the
        file's name). Files of 8 MiB and more go through the resumable upload, which survives
        cut connections. `progress(sent, total)` is called as bytes go. Blocks until stored;
        returns the stored files' descriptions."""
        name = (name or os.path.basename(os.path.abspath(path))).strip("/")
        if os.path.isdir(path):
            files = []
            for root, _, names in os.walk(path):
                for file in sorted(names):
                    local = os.path.join(root, file)
                    if os.path.isfile(local) and not os.path.islink(local):
                        relative = os.path.relpath(local, path).replace(os.sep, "/")
                        files.append((local, f"{name}/{relative}"))
            return [artifacts.upload(self._transport, ("run", self.id), local, target, progress)
                    for local, target in sorted(files, key=lambda pair: pair[1])]
        return [artifacts.upload(self._transport, ("run", self.id), path, name, progress)]

    def log_input(self, dataset_version) -> None:
        """Records a final dataset version (its id, or a DatasetVersion) as an input of the run."""
        version_id = getattr(dataset_version, "id", dataset_version)
        self._transport.call("PUT", "data", f"/v1/runs/{self.id}/inputs/{version_id}")

    # -- delivery and the end ------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> None:
        """Blocks until everything queued so far is delivered; raises DeliveryError naming what
        could not be (each failure is raised once), TimeoutError when `timeout` passes first."""
        self._sender.flush(timeout)

    def finish(self, status: str = "finished", timeout: float | None = None) -> None:
        """Flushes, then sets the run's status (finished, failed or killed). A DeliveryError of
        the flush is raised after the status is set."""
        if status not in STATUSES:
            raise ValueError(f"status is one of {', '.join(STATUSES)}, not {status!r}")
        with self._finish_lock:
            if self.finished:
                return
            self.finished = True
        _forget(self)
        self._queue = _Closed()  # logging after this raises; what is queued is still delivered
        problem = None
        try:
            self._sender.flush(timeout)
        except (errors.DeliveryError, TimeoutError) as error:
            problem = error
        self._sender.close(timeout=5)
        try:
            described = self._transport.call("PATCH", "data", f"/v1/runs/{self.id}", {"status": status})
            self.status = described.get("status", status)
        except errors.Conflict:
            pass  # already ended (e.g. by its job)
        if problem is not None:
            raise problem

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if value is None:
            self.finish("finished")
            return False
        status = "killed" if isinstance(value, KeyboardInterrupt) else "failed"
        try:
            self.finish(status)
        except Exception as problem:  # the training error matters more: report this one beside it
            print(f"mlexchange: while finishing run {self.id}: {problem}", file=sys.stderr)
        return False


class JobRun:
    """The job's own run, seen from inside the job: the same calls, as protocol lines."""

    in_job = True

    def __init__(self, environ=None, writer: injob.LineWriter | None = None):
        environ = os.environ if environ is None else environ
        self.environ = environ
        self.id = environ.get("MLEX_RUN_ID")
        self.project_id = environ.get("MLEX_PROJECT_ID")
        self.experiment_id = None
        self.job_id = environ.get("MLEX_JOB_ID")
        self.name = None
        self.status = "running"
        self.finished = False
        self._writer = writer or injob.LineWriter()

    def __repr__(self):
        return f"<mlexchange.JobRun {self.id} of job {self.job_id}>"

    def log_metric(self, key, value, step=None, timestamp=None) -> None:
        self._writer.metric(key, value, step)

    def log_metrics(self, metrics: dict, step=None, timestamp=None) -> None:
        metric = self._writer.metric
        for key, value in metrics.items():
            metric(key, value, step)

    def log_param(self, key, value) -> None:
        self._writer.param(key, _scalar(value))

    def log_params(self, params: dict) -> None:
        for key, value in params.items():
            self._writer.param(key, _scalar(value))

    def set_tag(self, key, value) -> None:
        if value is not None:  # a tag cannot be removed from inside a job
            self._writer.tag(key, value)

    def set_tags(self, tags: dict) -> None:
        for key, value in tags.items():
            self.set_tag(key, value)

    def log_text(self, message, level: str = "info") -> None:
        if LEVELS.get(str(level).lower()) is None:
            raise ValueError(f"level is debug, info, warning or error, not {level!r}")
        self._writer.log(message)

    def log_artifact(self, path, name=None, progress=None) -> list:
        name = name or os.path.basename(os.path.abspath(path))
        size = os.path.getsize(path) if os.path.isfile(path) else 0
        destination = injob.copy_output(path, name, self.environ)
        if progress:
            progress(size, size)
        return [{"path": "outputs/" + name.strip("/"), "local": destination}]

    def log_input(self, dataset_version) -> None:
        version_id = getattr(dataset_version, "id", dataset_version)
        self._writer.tag(f"mlex.input.{version_id}", version_id)

    def flush(self, timeout=None) -> None:
        self._writer.flush()

    def finish(self, status="finished", timeout=None) -> None:
        """Flushes stdout; the job's exit sets the run's status (a failing script fails it)."""
        if status not in STATUSES:
            raise ValueError(f"status is one of {', '.join(STATUSES)}, not {status!r}")
        self.finished = True
        self.status = status
        _forget(self)
        self._writer.flush()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        self.finish("finished" if value is None else "failed")
        return False


def start_run(project: str | None = None, experiment: str | None = None, name: str | None = None,
              params: dict | None = None, tags: dict | None = None, *, parent_run_id: str | None = None,
              batch_size: int = 1000, interval: float = 1.0):
    """Starts a run (a context manager: finished on a normal exit, failed on an exception).
    Inside a job it is the job's own run, whatever the arguments name."""
    if injob.in_job():
        run = JobRun()
        if params:
            run.log_params(params)
        if tags:
            run.set_tags(tags)
        _remember(run)
        return run
    if project is None:
        raise ValueError("start_run needs a project (its id or name)")
    transport = client.transport()
    project_id = projects.project_id(transport, project)
    experiment_id = projects.experiment_id(transport, project_id, experiment)
    scalars = {str(k): _scalar(v) for k, v in (params or {}).items()}
    texts = {str(k): str(v) for k, v in (tags or {}).items() if v is not None}
    body: dict = {"source": {"entryPoint": os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"}}
    if name:
        body["name"] = name
    if parent_run_id:
        body["parentRunId"] = parent_run_id
    first_params = dict(list(scalars.items())[:MAX_FIELDS])
    first_tags = dict(list(texts.items())[:MAX_FIELDS])
    if first_params:
        body["params"] = first_params
    if first_tags:
        body["tags"] = first_tags
    described = transport.call("POST", "data", f"/v1/experiments/{experiment_id}/runs", body)
    run = Run(described, transport, batch_size=batch_size, interval=interval)
    rest_params = dict(list(scalars.items())[MAX_FIELDS:])
    rest_tags = dict(list(texts.items())[MAX_FIELDS:])
    if rest_params:
        run.log_params(rest_params)
    if rest_tags:
        run.set_tags(rest_tags)
    _remember(run)
    return run


def active_run():
    """The most recently started run not finished yet, or None."""
    with _live_lock:
        return _live[-1] if _live else None


def progress(fraction: float, message: str | None = None) -> None:
    """Reports progress (0–1). In a job: the job's progress (`::mlex progress`). Outside: the
    tag `mlex.progress` ("0.5 message") on the active run; nothing without one."""
    fraction = float(fraction)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"progress is a fraction from 0 to 1, not {fraction}")
    if injob.in_job():
        run = active_run()
        writer = run._writer if isinstance(run, JobRun) else injob.LineWriter()
        writer.progress(fraction, message)
        return
    run = active_run()
    if run is not None:
        run.set_tag("mlex.progress", f"{fraction:g}" + (f" {message}" if message else ""))


def _cut(text: str, limit: int):
    data = text.encode()
    if len(data) <= limit:
        return text, ""
    head = data[:limit].decode(errors="ignore")
    return head, text[len(head):]


def _remember(run) -> None:
    with _live_lock:
        _live.append(run)


def _forget(run) -> None:
    with _live_lock:
        if run in _live:
            _live.remove(run)


def _excepthook(kind, value, traceback):
    global _uncaught
    _uncaught = True
    _previous_hook(kind, value, traceback)


_previous_hook = sys.excepthook
sys.excepthook = _excepthook


@atexit.register
def _at_exit() -> None:
    """Runs left open are delivered and ended: failed after an uncaught exception, else finished."""
    with _live_lock:
        runs = list(reversed(_live))
    for run in runs:
        try:
            run.finish("failed" if _uncaught else "finished")
        except Exception as problem:
            print(f"mlexchange: at exit, run {run.id}: {problem}", file=sys.stderr)
