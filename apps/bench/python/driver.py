"""The Python side of `make bench BENCH=python` (PythonClientBenchmark.swift starts the servers
and prints the table): one process logging one point per call, the way a training loop does.

    python driver.py --rows raw,raw-10k,mlex,mlflow-sync,mlflow-async,mlflow-buffered [--points N]
        [--mlflow-points N] [--mlflow-buffered-points N]

Rows:
- mlex: the `mlexchange` client (MLEX_URL, MLEX_TOKEN; project MLEX_BENCH_PROJECT) logs `points`
  points with `run.log_metric` in a tight loop, then `run.flush()`; the points are counted at the
  server afterwards.
- raw, raw-10k: the same points posted to a new run of MLEX_BENCH_EXPERIMENT in batches of 1000
  (issue 29's reference for mlex's flush rate) and of 10,000 (the data API's largest request,
  which the mlexchange sender also sends when points pile up) by a bare http.client loop over one
  keep-alive connection, the JSON encoding (json.dumps of dicts) included.
- mlflow-sync / mlflow-async / mlflow-buffered: MLflow's fluent client (MLFLOW_TRACKING_URI,
  MLFLOW_TRACKING_TOKEN) with `mlflow.log_metric` per point: synchronous (one request each);
  `synchronous=False` (what `mlflow.config.enable_async_logging()` turns on) followed by
  `mlflow.flush_async_logging()` — by default its queue still sends one request per point, from a
  thread pool; and the same with MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS=1, MLflow's own knob that
  merges what a second queued into log_batch requests of up to 1000 items, the like of ours.

Every call of a loop is timed (one perf_counter_ns per call: each sample is the call plus the
loop's own overhead, well under a microsecond), so p99 and max show whether the loop ever waited;
the accepted rate includes that timing.

Prints one JSON object on its last line: {"rows": [{"row", "points", "accept_seconds" (first call
to the loop's end), "deliver_seconds" (first call to flush returning; equal for synchronous
rows), "p50_us", "p99_us", "max_us", "slow_calls" (calls over 1 ms), "calls", "verified" (points
the server holds, or null), "note", "error" (only when the row failed)}]}.
"""

import argparse
import gc
import http.client
import json
import os
import sys
import time
import traceback
import urllib.parse
import uuid
from array import array
from time import perf_counter_ns

SLOW_NS = 1_000_000


class GCWatch:
    """The garbage collector's pauses while a loop runs (any thread's collection stops the loop
    too): a suspect when a call that only appends to a queue takes milliseconds."""

    def __init__(self):
        self.began = 0
        self.pauses = []

    def __call__(self, phase, info):
        if phase == "start":
            self.began = perf_counter_ns()
        elif self.began:
            self.pauses.append((info["generation"], perf_counter_ns() - self.began))

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_):
        gc.callbacks.remove(self)

    def summary(self):
        if not self.pauses:
            return "no GC pauses"
        longest = max(self.pauses, key=lambda pause: pause[1])
        full = sum(1 for generation, _ in self.pauses if generation == 2)
        return (
            f"{len(self.pauses)} GC pauses ({full} full) totalling {sum(p for _, p in self.pauses) / 1e6:.0f} ms,"
            f" longest {longest[1] / 1e6:.1f} ms (generation {longest[0]})"
        )


def timed_loop(count, call):
    """Calls `call(i)` for i in 0..<count; returns (start_ns, end_ns, per-call ns)."""
    samples = array("q", bytes(8 * count))
    start = previous = perf_counter_ns()
    for index in range(count):
        call(index)
        now = perf_counter_ns()
        samples[index] = now - previous
        previous = now
    return start, previous, samples


def row(name, points, start, accepted, delivered, samples, verified=None, note=""):
    ordered = sorted(samples)
    count = len(ordered)

    def at(fraction):
        return ordered[min(count - 1, int(count * fraction))] / 1000 if count else 0

    return {
        "row": name,
        "points": points,
        "accept_seconds": (accepted - start) / 1e9,
        "deliver_seconds": (delivered - start) / 1e9,
        "p50_us": at(0.5),
        "p99_us": at(0.99),
        "max_us": ordered[-1] / 1000 if count else 0,
        "slow_calls": sum(1 for sample in ordered if sample > SLOW_NS),
        "calls": count,
        "verified": verified,
        "note": note,
    }


# --- MLExchange's data API, bare ---


class API:
    """One keep-alive connection to the gateway with the bench user's token."""

    def __init__(self):
        url = urllib.parse.urlsplit(os.environ["MLEX_URL"])
        self.connection = http.client.HTTPConnection(url.hostname, url.port or 80)
        self.headers = {
            "Authorization": f"Bearer {os.environ['MLEX_TOKEN']}",
            "Content-Type": "application/json",
        }

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        self.connection.request(method, "/api/data" + path, body=data, headers=self.headers)
        response = self.connection.getresponse()
        text = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {text[:300]!r}")
        return json.loads(text) if text else None

    def points_of(self, run_id, key):
        summaries = self.call("GET", f"/v1/runs/{run_id}").get("metricSummaries") or {}
        return (summaries.get(key) or {}).get("count")


def raw_row(name, points, size):
    api = API()
    run_id = api.call("POST", f"/v1/experiments/{os.environ['MLEX_BENCH_EXPERIMENT']}/runs", {"name": name})["id"]
    api.call("POST", f"/v1/runs/{run_id}/metrics", {"points": [{"key": "warm", "value": 0.0, "step": 0}]})
    milliseconds = int(time.time() * 1000)

    def post(index):
        first = index * size
        batch = [
            {"key": "loss", "value": step * 1e-6, "step": step, "timestamp": milliseconds}
            for step in range(first, min(first + size, points))
        ]
        api.call("POST", f"/v1/runs/{run_id}/metrics", {"points": batch})

    start, end, samples = timed_loop((points + size - 1) // size, post)
    return row(
        name,
        points,
        start,
        end,
        end,
        samples,
        api.points_of(run_id, "loss"),
        note=f"latencies per {size}-point request, JSON encoding included",
    )


def mlex_row(points):
    import mlexchange

    with mlexchange.start_run(project=os.environ["MLEX_BENCH_PROJECT"], experiment="python-client") as run:
        # Warm: the sender's connection and the run's first write, out of the measured loop.
        run.log_metric("warm", 0.0, step=0)
        run.flush()
        log = run.log_metric

        def call(step):
            log("loss", step * 1e-6, step=step)

        with GCWatch() as collections:
            start, accepted, samples = timed_loop(points, call)
        run.flush()
        delivered = perf_counter_ns()
        run_id = run.id
        # The sender's request count is not public API: read loosely, only for the note.
        requests = getattr(getattr(run, "_sender", None), "requests", None)
    note = f"delivered = first call to flush() returning; in the loop {collections.summary()}"
    if isinstance(requests, int) and requests > 0:
        note += f", {requests} requests ({(points + 1) / requests:.0f} points each)"
    return row("mlex", points, start, accepted, delivered, samples, API().points_of(run_id, "loss"), note=note)


# --- MLflow's client ---


def mlflow_row(name, points, synchronous, buffering=None):
    import mlflow

    # Read by MLflow's queue at each wake-up, so setting it here takes effect for this row only.
    if buffering:
        os.environ["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = str(buffering)
    else:
        os.environ.pop("MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS", None)

    mlflow.set_experiment(f"python-bench-{uuid.uuid4().hex[:12]}")
    with mlflow.start_run() as active:
        run_id = active.info.run_id
        mlflow.log_metric("warm", 0.0, step=0, synchronous=True)
        log = mlflow.log_metric

        def call(step):
            log("loss", step * 1e-6, step=step, synchronous=synchronous)

        start, accepted, samples = timed_loop(points, call)
        if not synchronous:
            mlflow.flush_async_logging()
        delivered = perf_counter_ns()
    held = len(mlflow.MlflowClient().get_metric_history(run_id, "loss"))
    if synchronous:
        note = "one request a call"
    else:
        note = "delivered = first call to flush_async_logging() returning"
        note += f", buffering {buffering} s" if buffering else ", one request a point"
    return row(name, points, start, accepted, delivered, samples, held, note=note)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", required=True)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--mlflow-points", type=int, default=500)
    parser.add_argument("--mlflow-buffered-points", type=int, default=20_000)
    options = parser.parse_args()

    runners = {
        "raw": lambda: raw_row("raw", options.points, 1000),
        # The data API's largest request, as the mlexchange sender sends when points pile up.
        "raw-10k": lambda: raw_row("raw-10k", options.points, 10_000),
        "mlex": lambda: mlex_row(options.points),
        "mlflow-sync": lambda: mlflow_row("mlflow-sync", options.mlflow_points, True),
        "mlflow-async": lambda: mlflow_row("mlflow-async", options.mlflow_points, False),
        "mlflow-buffered": lambda: mlflow_row("mlflow-buffered", options.mlflow_buffered_points, False, 1),
    }
    rows = []
    for name in options.rows.split(","):
        if name not in runners:
            parser.error(f"unknown row {name}")
        # A row that fails is reported as such and the others still run: one missing client
        # (mlexchange not written yet, mlflow not installed) should not hide the rest.
        try:
            rows.append(runners[name]())
        except Exception as error:  # reported in the table, the traceback in the driver log
            traceback.print_exc(file=sys.stderr)
            rows.append({"row": name, "error": f"{type(error).__name__}: {str(error)[:200]}"})
        print(f"{name} done", file=sys.stderr, flush=True)
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
