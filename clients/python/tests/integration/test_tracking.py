"""Tracking from a script: points from many threads, params, tags, log lines, run status, errors."""

import os
import threading

import mlexchange
import pytest

THREADS = 4
POINTS_PER_THREAD = 25_000


def value_of(step):
    """A value no other step has, exactly representable, so equality is exact."""
    return step * 0.25 - 1000.0


def test_100k_points_from_4_threads_all_arrive_with_their_values(api, project):
    with mlexchange.start_run(project=project["name"], experiment="baseline", name="threads") as run:

        def log(thread):
            # Each thread logs its own key and, interleaved with the other threads, a shared one.
            for i in range(POINTS_PER_THREAD):
                step = thread * POINTS_PER_THREAD + i
                if i % 2:
                    run.log_metric("shared", value_of(step), step=step)
                else:
                    run.log_metric(f"thread/{thread}", value_of(step), step=step)

        workers = [threading.Thread(target=log, args=(thread,)) for thread in range(THREADS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        run.flush()

    everything = {}
    for key in ["shared"] + [f"thread/{thread}" for thread in range(THREADS)]:
        points = api.history(run.id, key)
        steps = [point["step"] for point in points]
        assert len(steps) == len(set(steps)), f"{key}: a point arrived twice"
        for point in points:
            assert point["value"] == value_of(point["step"]), f"{key} step {point['step']}: {point['value']}"
            everything[point["step"]] = key
        # One thread's points of a key arrive in the order it logged them (one ordered queue).
        for thread in range(THREADS):
            own = [step for step in steps if step // POINTS_PER_THREAD == thread]
            assert own == sorted(own), f"{key}: thread {thread}'s points arrived out of order"
    assert len(everything) == THREADS * POINTS_PER_THREAD
    assert sorted(everything) == list(range(THREADS * POINTS_PER_THREAD))
    stored = api.run(run.id)
    assert stored["status"] == "finished"
    assert stored["projectId"] == project["id"] == run.project_id
    assert stored["experimentId"] == run.experiment_id


def test_log_metrics_params_tags_and_text(api, project):
    with mlexchange.start_run(
        project=project["id"], name="fields", params={"optimizer": "adam"}, tags={"team": "vision"}
    ) as run:
        run.log_metrics({"loss": 0.5, "acc": 0.75}, step=1)
        run.log_metrics({"loss": 0.25, "acc": 0.875}, step=2)
        run.log_param("lr", 0.01)
        run.log_params({"epochs": 3, "layers": "resnet50"})
        run.set_tag("stage", "dev")
        run.set_tags({"owner": "ada", "note": "a tag with spaces"})
        run.log_text("epoch 1 done")
        run.log_text("loss went up", level="warning")
        # Outside a job, progress is a tag of the open run (docs/python.md).
        mlexchange.progress(0.5, "half way")

    stored = api.run(run.id)
    assert stored["status"] == "finished"
    assert stored["name"] == "fields"
    params = stored["params"]
    assert params["optimizer"] == "adam" and params["layers"] == "resnet50"
    assert str(params["lr"]) == "0.01" and str(params["epochs"]) == "3"
    tags = stored["tags"]
    assert {k: tags.get(k) for k in ("team", "stage", "owner", "note")} == {
        "team": "vision", "stage": "dev", "owner": "ada", "note": "a tag with spaces"}
    assert tags["mlex.progress"] == "0.5 half way"
    assert [p["value"] for p in api.history(run.id, "loss")] == [0.5, 0.25]
    assert [(p["value"], p["step"]) for p in api.history(run.id, "acc")] == [(0.75, 1), (0.875, 2)]
    logged = [(entry["level"], entry["message"]) for entry in api.logs(run.id)]
    assert ("info", "epoch 1 done") in logged
    assert ("warning", "loss went up") in logged
    assert logged.index(("info", "epoch 1 done")) < logged.index(("warning", "loss went up"))


def test_the_context_manager_marks_the_run_failed_on_an_exception(api, project):
    with pytest.raises(RuntimeError, match="diverged"):
        with mlexchange.start_run(project=project["name"], name="fails") as run:
            run.log_metric("loss", 1.0, step=0)
            raise RuntimeError("loss diverged")
    stored = api.run(run.id)
    assert stored["status"] == "failed"
    # What it logged before the exception still arrived.
    assert [p["value"] for p in api.history(run.id, "loss")] == [1.0]


def test_finish_with_a_status(api, project):
    run = mlexchange.start_run(project=project["name"], name="killed")
    run.log_metric("loss", 2.0)
    run.finish(status="killed")
    assert api.run(run.id)["status"] == "killed"
    assert [p["value"] for p in api.history(run.id, "loss")] == [2.0]


def test_a_missing_project_is_not_found_with_code_and_message():
    with pytest.raises(mlexchange.NotFound) as raised:
        mlexchange.start_run(project="no-such-project-anywhere")
    error = raised.value
    assert isinstance(error, mlexchange.APIError)
    assert error.status == 404
    assert error.code and error.message
    assert "no-such-project-anywhere" in error.message or error.field == "project"


def test_a_bad_metric_key_surfaces_at_flush_with_the_apis_field(api, project):
    run = mlexchange.start_run(project=project["name"], name="bad key")
    try:
        run.log_metric("good", 1.0, step=0)
        run.log_metric("bad key!", 2.0, step=0)
        run.log_metric("good", 3.0, step=1)
        with pytest.raises(mlexchange.DeliveryError) as raised:
            run.flush()
        refusals = [e for e in raised.value.errors if isinstance(e, mlexchange.APIError)]
        assert refusals, f"no API error among {raised.value.errors!r}"
        refusal = refusals[0]
        assert isinstance(refusal, mlexchange.BadRequest) and refusal.status == 400
        assert refusal.code == "invalid_field"
        # The API names `points.<index in the batch>.key`; the client names the key itself.
        assert refusal.field == "metrics.bad key!"
        assert "key" in refusal.message
        assert raised.value.points == 1 and raised.value.items[0][:3] == ("bad key!", 2.0, 0)
        # The bad point alone was set aside: its neighbours arrived, and the next flush is clean.
        run.flush()
        assert [p["value"] for p in api.history(run.id, "good")] == [1.0, 3.0]
    finally:
        run.finish()


def test_unauthorized_with_a_wrong_token(project):
    mlexchange.configure(url=os.environ["MLEX_TEST_URL"], token="mlx_not-a-real-token")
    with pytest.raises(mlexchange.Unauthorized) as raised:
        mlexchange.start_run(project=project["id"])
    assert raised.value.status == 401 and raised.value.code
