"""Loads runs into an MLflow server's SQLite backend before the server starts. MLflow's own store
(SqlAlchemyStore) makes the schema, the experiment and the first run; the rest are rows copied
from that run's in one SQLite transaction: the fastest way to fill MLflow's tables (its store
commits each run: 50 ms a run here, 8 minutes for 10k). The load is not measured. Run with
.venv-mlflow's python.

The runs have the shape MLExchange's side is loaded with (SearchScaleBenchmark.load): run-<i>
with 20 params p0…p19 = "v<(i / (p+1)) % 10>" and 10 one-point metrics m0…m9 =
((i * (m + 7919)) % 10007) / 10007, so the same search returns the same runs on both sides.

    python load_mlflow_store.py <sqlite-path> <artifact-root> <runs>
prints {"experiment_id": "...", "runs": n, "seconds": s} on stdout.
"""

import json
import sqlite3
import sys
import time
import uuid

from mlflow.entities import Metric, Param, RunStatus
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore


def params(index):
    return [(f"p{p}", f"v{(index // (p + 1)) % 10}") for p in range(20)]


def metrics(index):
    return [(f"m{m}", ((index * (m + 7919)) % 10007) / 10007) for m in range(10)]


def main():
    path, artifact_root, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    began = time.time()
    store = SqlAlchemyStore(f"sqlite:///{path}", artifact_root)
    experiment_id = store.create_experiment("search")
    now = int(began * 1000)
    first = store.create_run(experiment_id, "bench", now, [], "run-0")
    store.log_batch(
        first.info.run_id,
        metrics=[Metric(key, value, now, 0) for key, value in metrics(0)],
        params=[Param(key, value) for key, value in params(0)],
        tags=[],
    )
    store.update_run_info(first.info.run_id, RunStatus.FINISHED, now, None)
    template = first.info.artifact_uri.rsplit(f"/{first.info.run_id}/", 1)[0]

    database = sqlite3.connect(path)
    with database:
        columns = [row[1] for row in database.execute("PRAGMA table_info(runs)")]
        model = dict(zip(columns, database.execute("SELECT * FROM runs WHERE run_uuid = ?", (first.info.run_id,)).fetchone()))
        tags = database.execute("SELECT key, value FROM tags WHERE run_uuid = ?", (first.info.run_id,)).fetchall()
        for index in range(1, count):
            run_id = uuid.uuid4().hex
            row = model | {
                "run_uuid": run_id,
                "name": f"run-{index}",
                "start_time": now + index,
                "end_time": now + index,
                "artifact_uri": f"{template}/{run_id}/artifacts",
            }
            database.execute(
                f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
            )
            database.executemany(
                "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                [(key, f"run-{index}" if key == "mlflow.runName" else value, run_id) for key, value in tags],
            )
            database.executemany(
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                [(key, value, run_id) for key, value in params(index)],
            )
            points = [(key, value, now, run_id, 0, 0) for key, value in metrics(index)]
            database.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)", points
            )
            database.executemany(
                "INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
                points,
            )
    database.close()
    print(json.dumps({"experiment_id": experiment_id, "runs": count, "seconds": time.time() - began}))


if __name__ == "__main__":
    main()
