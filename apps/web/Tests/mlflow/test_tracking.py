"""Runs, params, metrics, tags, datasets and experiments through MLflow's client, then read back
through our own API: what a training script logs must be what `mlex` and the web UI show."""

import math
import time

import mlflow
from conftest import epoch_ms
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag


def test_fluent_run_logs_params_metrics_and_tags(client, experiment_id, ours):
    base = int(time.time() * 1000) - 60_000
    with mlflow.start_run(experiment_id=experiment_id, run_name="fluent") as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"optimizer": "adam", "layers": 3, "augment": True})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=base + step * 1000)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.75}, step=4)
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev", "seed": 7})
    run_id = run.info.run_id

    got = client.get_run(run_id)
    assert got.info.run_name == "fluent"
    assert got.info.status == "FINISHED"
    assert got.info.experiment_id == experiment_id
    assert got.info.lifecycle_stage == "active"
    assert got.info.end_time >= got.info.start_time > 0
    params = {"lr": "0.01", "optimizer": "adam", "layers": "3", "augment": "True"}
    assert got.data.params == params
    assert got.data.metrics == {"loss": 0.2, "acc": 0.9, "f1": 0.75}
    assert {key: got.data.tags[key] for key in ("team", "stage", "seed")} == {
        "team": "vision",
        "stage": "dev",
        "seed": "7",
    }
    assert got.data.tags["mlflow.runName"] == "fluent"
    history = client.get_metric_history(run_id, "loss")
    expected = [(step, 1.0 / (step + 1), base + step * 1000) for step in range(5)]
    assert [(point.step, point.value, point.timestamp) for point in history] == expected

    if ours is None:
        return
    mine = ours.run(run_id)
    assert mine["id"] == run_id
    assert mine["experimentId"] == experiment_id
    assert mine["name"] == "fluent"
    assert mine["status"] == "finished"
    assert mine["lifecycle"] == "active"
    assert epoch_ms(mine["startTime"]) == got.info.start_time
    assert epoch_ms(mine["endTime"]) == got.info.end_time
    assert mine["params"] == params
    assert mine["metrics"] == {"loss": 0.2, "acc": 0.9, "f1": 0.75}
    for key in ("team", "stage", "seed"):
        assert mine["tags"][key] == got.data.tags[key]
    points = ours.history(run_id, "loss")
    assert [(point["step"], point["value"], point["timestamp"]) for point in points] == expected


def test_log_batch_keeps_every_point_in_order(client, experiment_id, ours):
    run_id = client.create_run(experiment_id, run_name="batch").info.run_id
    base = int(time.time() * 1000)
    metrics = [Metric("val.loss", 1.0 / (i + 1), base + i, i) for i in range(1000)]
    client.log_batch(
        run_id,
        metrics=metrics,
        params=[Param("epochs", "10"), Param("path/with spaces", "a b")],
        tags=[RunTag("note", "batched"), RunTag("mlflow.note.content", "# a run")],
    )
    # A second batch re-logging the same param value is allowed, as in MLflow.
    client.log_batch(run_id, metrics=[Metric("val.loss", 0.0005, base + 1000, 1000)], params=[Param("epochs", "10")])
    client.set_terminated(run_id, "FAILED")

    got = client.get_run(run_id)
    assert got.info.status == "FAILED"
    assert got.data.params == {"epochs": "10", "path/with spaces": "a b"}
    assert got.data.metrics == {"val.loss": 0.0005}
    assert got.data.tags["note"] == "batched"
    history = client.get_metric_history(run_id, "val.loss")
    assert len(history) == 1001
    assert [(m.step, m.value, m.timestamp) for m in history[:3]] == [(0, 1.0, base), (1, 0.5, base + 1), (2, 1 / 3, base + 2)]
    assert history[-1].step == 1000

    if ours is None:
        return
    mine = ours.run(run_id)
    assert mine["status"] == "failed"
    assert mine["params"] == {"epochs": "10", "path/with spaces": "a b"}
    assert mine["tags"]["note"] == "batched"
    assert mine["metrics"]["val.loss"] == 0.0005
    points = ours.history(run_id, "val.loss")
    assert [(p["step"], p["value"], p["timestamp"]) for p in points] == [
        (m.step, m.value, m.timestamp) for m in history
    ]


def test_tags_update_delete_and_rename(client, experiment_id, ours):
    run = client.create_run(experiment_id, run_name="before", tags={"owner": "ada"})
    run_id = run.info.run_id
    assert run.info.status == "RUNNING"
    client.set_tag(run_id, "owner", "grace")
    client.set_tag(run_id, "drop.me", "x")
    client.delete_tag(run_id, "drop.me")
    client.update_run(run_id, name="after")

    got = client.get_run(run_id)
    assert got.info.run_name == "after"
    assert got.data.tags["owner"] == "grace"
    assert "drop.me" not in got.data.tags

    if ours is None:
        return
    mine = ours.run(run_id)
    assert mine["name"] == "after"
    assert mine["status"] == "running"
    assert mine["tags"]["owner"] == "grace"
    assert "drop.me" not in mine["tags"]


def test_search_runs_with_filters_order_and_pages(client, experiment_id):
    runs = {}
    for index in range(7):
        run = client.create_run(experiment_id, run_name=f"r{index}")
        run_id = run.info.run_id
        optimizer = "adam" if index % 2 == 0 else "sgd"
        client.log_batch(
            run_id,
            metrics=[Metric("acc", index / 10, 0, 0)],
            params=[Param("optimizer", optimizer), Param("index", str(index))],
            tags=[RunTag("team", "vision" if index < 4 else "nlp")],
        )
        client.set_terminated(run_id, "FINISHED" if index != 3 else "FAILED")
        runs[index] = run_id

    found = client.search_runs(
        [experiment_id], "metrics.acc > 0.15 and params.optimizer = 'adam'", order_by=["metrics.acc DESC"]
    )
    assert [run.info.run_id for run in found] == [runs[6], runs[4], runs[2]]

    found = client.search_runs([experiment_id], "tags.team = 'vision' and attributes.status = 'FINISHED'")
    assert {run.info.run_id for run in found} == {runs[0], runs[1], runs[2]}

    found = client.search_runs([experiment_id], "attributes.run_name = 'r5'")
    assert [run.info.run_id for run in found] == [runs[5]]

    found = client.search_runs([experiment_id], "params.optimizer != 'adam'", order_by=["metrics.acc ASC"])
    assert [run.info.run_id for run in found] == [runs[1], runs[3], runs[5]]

    # Paging: three pages of at most three, ordered by a param, then the end.
    pages, token = [], None
    while True:
        page = client.search_runs([experiment_id], "", order_by=["params.index ASC"], max_results=3, page_token=token)
        pages.append([run.info.run_id for run in page])
        token = page.token
        if not token:
            break
    assert [run for page in pages for run in page] == [runs[index] for index in range(7)]
    assert [len(page) for page in pages[:3]] == [3, 3, 1]

    # The fluent form answers the same runs.
    frame = mlflow.search_runs(
        [experiment_id], filter_string="metrics.acc >= 0.5", order_by=["metrics.acc DESC"], output_format="list"
    )
    assert [run.info.run_id for run in frame] == [runs[6], runs[5]]


def test_delete_and_restore_run(client, experiment_id, ours):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    active = client.search_runs([experiment_id], run_view_type=mlflow.entities.ViewType.ACTIVE_ONLY)
    deleted = client.search_runs([experiment_id], run_view_type=mlflow.entities.ViewType.DELETED_ONLY)
    assert run_id not in {run.info.run_id for run in active}
    assert [run.info.run_id for run in deleted] == [run_id]
    if ours is not None:
        assert ours.run(run_id)["lifecycle"] == "trashed"

    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert run_id in {run.info.run_id for run in client.search_runs([experiment_id])}
    if ours is not None:
        assert ours.run(run_id)["lifecycle"] == "active"


def test_experiments_create_find_tag_delete_and_restore(client, unique, ours):
    experiment_id = client.create_experiment(unique, tags={"purpose": "tests"})
    client.set_experiment_tag(experiment_id, "round", "1")
    experiment = client.get_experiment(experiment_id)
    assert experiment.name == unique
    assert experiment.lifecycle_stage == "active"
    assert experiment.tags["purpose"] == "tests"
    assert experiment.tags["round"] == "1"
    assert client.get_experiment_by_name(unique).experiment_id == experiment_id
    found = client.search_experiments(filter_string=f"name = '{unique}'")
    assert [e.experiment_id for e in found] == [experiment_id]

    renamed = unique + "-renamed"
    client.rename_experiment(experiment_id, renamed)
    assert client.get_experiment(experiment_id).name == renamed
    if ours is not None:
        mine = ours.get(f"/api/data/v1/experiments/{experiment_id}")
        assert mine["name"] == renamed
        assert mine["lifecycle"] == "active"

    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    deleted = client.search_experiments(view_type=mlflow.entities.ViewType.DELETED_ONLY)
    assert experiment_id in {e.experiment_id for e in deleted}
    if ours is not None:
        assert ours.get(f"/api/data/v1/experiments/{experiment_id}")["lifecycle"] == "trashed"

    client.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"
    if ours is not None:
        assert ours.get(f"/api/data/v1/experiments/{experiment_id}")["lifecycle"] == "active"


def test_default_experiment_and_set_experiment(unique, ours):
    """MLflow's experiment "0" and `mlflow.set_experiment` by name, as most scripts start."""
    with mlflow.start_run() as run:
        mlflow.log_param("where", "default")
    default = mlflow.get_experiment(run.info.experiment_id)
    assert default.name == "Default"

    experiment = mlflow.set_experiment(unique)
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.5)
    assert run.info.experiment_id == experiment.experiment_id
    assert mlflow.get_run(run.info.run_id).data.metrics == {"m": 1.5}
    if ours is not None:
        assert ours.run(run.info.run_id)["experimentId"] == experiment.experiment_id
    mlflow.set_experiment(experiment_id="0")


def test_log_inputs_records_datasets(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    dataset = Dataset(
        name="iris", digest="abc123", source_type="http", source='{"url": "https://example.org/iris.csv"}'
    )
    client.log_inputs(run_id, datasets=[DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "training")])])
    inputs = client.get_run(run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest, i.dataset.source_type) for i in inputs] == [("iris", "abc123", "http")]
    assert {tag.key: tag.value for tag in inputs[0].tags} == {"mlflow.data.context": "training"}


def test_nan_is_kept_and_infinities_clamped_as_mlflow_stores_them(client, experiment_id, ours):
    """A diverging run logs a NaN loss: MLflow's server keeps NaN (is_nan) and stores ±inf as the
    largest double, so reading back gives ±1.7976931348623157e308, not inf."""
    largest = 1.7976931348623157e308
    with mlflow.start_run(experiment_id=experiment_id, run_name="diverged") as run:
        mlflow.log_metric("loss", 0.5, step=0)
        mlflow.log_metric("loss", float("nan"), step=1)
        mlflow.log_metrics({"loss": float("inf"), "grad": float("-inf")}, step=2)
        mlflow.log_metric("loss", float("nan"), step=3)
    run_id = run.info.run_id

    history = client.get_metric_history(run_id, "loss")
    values = [point.value for point in sorted(history, key=lambda point: point.step)]
    assert values[0] == 0.5 and math.isnan(values[1]) and values[2] == largest and math.isnan(values[3])
    assert [point.value for point in client.get_metric_history(run_id, "grad")] == [-largest]
    got = client.get_run(run_id)
    assert math.isnan(got.data.metrics["loss"]) and got.data.metrics["grad"] == -largest

    # Beside runs with values, the NaN run comes after them in both orders, and matches no `<`.
    others = []
    for loss in (0.75, 0.25):
        with mlflow.start_run(experiment_id=experiment_id) as other:
            mlflow.log_metric("loss", loss)
        others.append(other.info.run_id)
    ascending = client.search_runs([experiment_id], order_by=["metrics.loss ASC"])
    assert [found.info.run_id for found in ascending] == [others[1], others[0], run_id]
    descending = client.search_runs([experiment_id], order_by=["metrics.loss DESC"], max_results=1)
    assert [found.info.run_id for found in descending] == [others[0]]
    below = client.search_runs([experiment_id], filter_string="metrics.loss < 1")
    assert {found.info.run_id for found in below} == set(others)

    if ours is None:
        return
    # Our own API: JSON has no NaN, so a NaN point's value is null.
    mine = ours.run(run_id)
    assert mine["metrics"] == {"loss": None, "grad": -largest}
    assert [point["value"] for point in ours.history(run_id, "loss")] == [0.5, None, largest, None]
