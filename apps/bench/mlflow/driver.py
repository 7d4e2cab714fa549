"""The MLflow-client workload of `make bench BENCH=mlflow`, run unchanged against an MLflow server
and against MLExchange (MLflowBenchmark.swift starts both and prints the table). Only MLflow's
own client (mlflow-skinny in .venv) talks to the server: MLFLOW_TRACKING_URI and, for
MLExchange, MLFLOW_TRACKING_TOKEN say where and who.

    python driver.py --rows client-cost,log-batch-1,log-batch-4,log-metric,search,history,artifact \\
        [--search-experiment ID] [--batches N] [--metrics N] [--searches N] \\
        [--history-points N] [--artifact-mb N] [--scratch DIR]

prints one JSON object: {"rows": [{"row", "operations", "seconds", "latencies", "bytes", "note"}]},
`seconds` the wall time of the measured part, `latencies` each operation's seconds.
"""

import argparse
import json
import multiprocessing
import os
import time
import uuid

from mlflow import MlflowClient
from mlflow.entities import Metric

MB = 1024 * 1024


def row(name, operations, seconds, latencies, bytes_=0, note=""):
    return {
        "row": name,
        "operations": operations,
        "seconds": seconds,
        "latencies": latencies,
        "bytes": bytes_,
        "note": note,
    }


def new_run(client):
    experiment_id = client.create_experiment(f"bench-{uuid.uuid4().hex[:12]}")
    return client.create_run(experiment_id).info.run_id


def batch(first_step, size):
    now = int(time.time() * 1000)
    return [Metric("loss", 1.0 / (first_step + i + 1), now, first_step + i) for i in range(size)]


def log_batches(run_id, count, size, barrier=None):
    """`count` log-batch calls of `size` metrics each: (start, end, latencies)."""
    client = MlflowClient()
    client.log_batch(run_id, metrics=batch(10**9, size))  # warm: connection, first write
    if barrier is not None:
        barrier.wait()
    latencies = []
    start = time.perf_counter()
    for index in range(count):
        metrics = batch(index * size, size)
        began = time.perf_counter()
        client.log_batch(run_id, metrics=metrics)
        latencies.append(time.perf_counter() - began)
    return start, time.perf_counter(), latencies


def worker(run_id, count, size, barrier, results):
    # perf_counter is CLOCK_MONOTONIC, one clock for every process of the machine.
    results.put(log_batches(run_id, count, size, barrier))


def client_cost_row(size, count=20):
    """What MLflow's client itself spends on one log-batch call (checking the metrics, turning
    them into protobuf and JSON) without sending it: the ceiling any server's rate meets."""
    from mlflow.protos.service_pb2 import LogBatch
    from mlflow.utils.proto_json_utils import message_to_json
    from mlflow.utils.validation import _validate_batch_log_data

    latencies = []
    for index in range(count):
        metrics = batch(index * size, size)
        began = time.perf_counter()
        _validate_batch_log_data(metrics, [], [])
        message_to_json(LogBatch(run_id="0" * 32, metrics=[metric.to_proto() for metric in metrics]))
        latencies.append(time.perf_counter() - began)
    return row("client-cost", count, sum(latencies), latencies, note=f"{size} metrics a call, not sent")


def client_parse_seconds(method, path, payload, response_type, entities):
    """How long MLflow's client spends turning one answer of `path` into its entities (JSON,
    protobuf, entity objects), the answer fetched raw beforehand: a part of every call that no
    server can make faster, so the ceiling of the ratio for that row."""
    import requests
    from mlflow.utils.proto_json_utils import parse_dict

    url = f"{os.environ['MLFLOW_TRACKING_URI'].rstrip('/')}/api/2.0/mlflow/{path}"
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "POST":
        answer = requests.post(url, json=payload, headers=headers)
    else:
        answer = requests.get(url, params=payload, headers=headers)
    answer.raise_for_status()
    text = answer.text
    began = time.perf_counter()
    message = response_type()
    parse_dict(json.loads(text), message)
    entities(message)
    return time.perf_counter() - began


def log_batch_row(clients, batches, size):
    client = MlflowClient()
    if clients == 1:
        start, end, latencies = log_batches(new_run(client), batches, size)
        return row("log-batch-1", batches, end - start, latencies, note=f"{size} metrics a call")
    # One process per client, as separate training scripts would be; each logs to its own run.
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients)
    results = context.Queue()
    runs = [new_run(client) for _ in range(clients)]
    processes = [
        context.Process(target=worker, args=(runs[i], batches // clients, size, barrier, results))
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    collected = [results.get() for _ in processes]
    for process in processes:
        process.join()
    start = min(c[0] for c in collected)
    end = max(c[1] for c in collected)
    latencies = [latency for c in collected for latency in c[2]]
    return row(f"log-batch-{clients}", len(latencies), end - start, latencies, note=f"{size} metrics a call")


def log_metric_row(count):
    client = MlflowClient()
    run_id = new_run(client)
    client.log_metric(run_id, "warm", 0.0)
    latencies = []
    start = time.perf_counter()
    for step in range(count):
        began = time.perf_counter()
        client.log_metric(run_id, "acc", step / count, step=step)
        latencies.append(time.perf_counter() - began)
    return row("log-metric", count, time.perf_counter() - start, latencies)


def search_row(experiment_id, count):
    """The runs table's typical query: a metric threshold and a param, ordered by the metric."""
    client = MlflowClient()

    def query(index):
        return f"metrics.m3 > {0.9 + (index % 9) / 100} and params.p7 = 'v{index % 10}'"

    def search(index):
        return client.search_runs([experiment_id], query(index), order_by=["metrics.m3 DESC"], max_results=100)

    search(0)
    latencies, found = [], 0
    start = time.perf_counter()
    for index in range(count):
        began = time.perf_counter()
        found = len(search(index))
        latencies.append(time.perf_counter() - began)
    seconds = time.perf_counter() - start
    from mlflow.entities import Run
    from mlflow.protos.service_pb2 import SearchRuns

    parse = client_parse_seconds(
        "POST",
        "runs/search",
        {
            "experiment_ids": [experiment_id],
            "filter": query(count - 1),
            "order_by": ["metrics.m3 DESC"],
            "max_results": 100,
        },
        SearchRuns.Response,
        lambda message: [Run.from_proto(run) for run in message.runs],
    )
    note = f"{found} runs in the last answer, {parse * 1000:.0f} ms of it MLflow's client parsing"
    return row("search", count, seconds, latencies, note=note)


def history_row(points, reads):
    client = MlflowClient()
    run_id = new_run(client)
    for first in range(0, points, 1000):
        client.log_batch(run_id, metrics=batch(first, min(1000, points - first)))
    latencies = []
    start = time.perf_counter()
    for _ in range(reads):
        began = time.perf_counter()
        history = client.get_metric_history(run_id, "loss")
        latencies.append(time.perf_counter() - began)
        assert len(history) == points, f"history has {len(history)} points, not {points}"
    seconds = time.perf_counter() - start
    from mlflow.protos.service_pb2 import GetMetricHistory

    parse = client_parse_seconds(
        "GET",
        "metrics/get-history",
        {"run_id": run_id, "metric_key": "loss"},
        GetMetricHistory.Response,
        lambda message: [Metric.from_proto(point) for point in message.metrics],
    )
    note = f"{points} points, {parse * 1000:.0f} ms of a read MLflow's client parsing them"
    return row("history", reads, seconds, latencies, note=note)


def artifact_rows(megabytes, scratch):
    client = MlflowClient()
    run_id = new_run(client)
    source = os.path.join(scratch, "artifact.bin")
    with open(source, "wb") as file:
        for _ in range(megabytes):
            file.write(os.urandom(MB))
    size = megabytes * MB
    began = time.perf_counter()
    client.log_artifact(run_id, source)
    up = time.perf_counter() - began
    os.remove(source)
    target = os.path.join(scratch, "down")
    os.makedirs(target, exist_ok=True)
    began = time.perf_counter()
    path = client.download_artifacts(run_id, "artifact.bin", target)
    down = time.perf_counter() - began
    assert os.path.getsize(path) == size
    os.remove(path)
    return [row("artifact-up", 1, up, [up], size), row("artifact-down", 1, down, [down], size)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", required=True)
    parser.add_argument("--search-experiment")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--metrics", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--history-points", type=int, default=100_000)
    parser.add_argument("--history-reads", type=int, default=5)
    parser.add_argument("--artifact-mb", type=int, default=512)
    parser.add_argument("--scratch", default=".")
    options = parser.parse_args()

    rows = []
    for name in options.rows.split(","):
        if name == "client-cost":
            rows.append(client_cost_row(1000))
        elif name == "log-batch-1":
            rows.append(log_batch_row(1, options.batches, 1000))
        elif name == "log-batch-4":
            rows.append(log_batch_row(4, options.batches, 1000))
        elif name == "log-metric":
            rows.append(log_metric_row(options.metrics))
        elif name == "search":
            rows.append(search_row(options.search_experiment, options.searches))
        elif name == "history":
            rows.append(history_row(options.history_points, options.history_reads))
        elif name == "artifact":
            rows += artifact_rows(options.artifact_mb, options.scratch)
        else:
            parser.error(f"unknown row {name}")
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
