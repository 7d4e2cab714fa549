"""Background delivery: batching, order, retries, refusals set aside, thread safety."""

import json
import math
import threading
import time

import pytest

import mlexchange
from mlexchange.run import Run


def make_run(transport, **options):
    return Run({"id": "0190c0de-0000-7000-8000-000000000001", "name": "r", "status": "running"}, transport, **options)


def test_points_arrive_with_their_values_steps_and_times(stub, transport):
    run = make_run(transport)
    before = int(time.time() * 1000)
    for step in range(2500):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.log_metric("acc", 0.5, timestamp=1234)
    run.flush()
    assert len(stub.points) == 2501
    loss = [p for p in stub.points if p["key"] == "loss"]
    assert [p["step"] for p in loss] == list(range(2500))
    assert all(p["value"] == 1.0 / (p["step"] + 1) for p in loss)
    assert before - 1 <= loss[0]["timestamp"] <= int(time.time() * 1000)
    assert stub.points[-1] == {"key": "acc", "value": 0.5, "step": None, "timestamp": 1234}
    run._sender.close()


def test_a_batch_goes_when_batch_size_points_wait_not_after_the_interval(stub, transport):
    run = make_run(transport, batch_size=100, interval=30)
    for step in range(100):
        run.log_metric("x", step, step=step)
    deadline = time.time() + 3
    while len(stub.points) < 100 and time.time() < deadline:
        time.sleep(0.01)
    assert len(stub.points) == 100  # well before the 30 s interval
    run._sender.close()


def test_few_points_go_within_the_interval(stub, transport):
    run = make_run(transport, interval=0.2)
    run.log_metric("x", 1)
    time.sleep(0.6)
    assert len(stub.points) == 1
    run._sender.close()


def test_params_tags_and_logs_keep_their_order_with_points(stub, transport):
    run = make_run(transport)
    run.log_metric("a", 1, step=0)
    run.log_param("lr", 0.01)
    run.log_params({"opt": "adam", "layers": 3, "flag": True})
    run.set_tag("stage", "dev")
    run.log_text("hello", level="warning")
    run.log_metric("a", 2, step=1)
    run.flush()
    kinds = []
    for method, path, _, body in stub.requests:
        kinds.append(path.rsplit("/", 1)[1])
    assert kinds == ["metrics", "params", "tags", "logs", "metrics"]
    assert stub.params == {"lr": 0.01, "opt": "adam", "layers": 3, "flag": True}
    assert stub.tags == {"stage": "dev"}
    assert stub.logs[0]["level"] == "warning" and stub.logs[0]["message"] == "hello"
    assert stub.logs[0]["time"].endswith("Z")
    run._sender.close()


def test_one_keep_alive_connection_carries_every_batch(stub, transport):
    run = make_run(transport, batch_size=500)
    for i in range(5000):
        run.log_metric("x", i)
    run.flush()
    assert len(stub.points) == 5000
    assert stub.connections == 1
    run._sender.close()


def test_5xx_and_refused_connections_are_retried_until_delivered(stub, transport):
    failures = {"left": 3}

    def flaky(stub, method, path, headers, body):
        if path.endswith("/metrics") and failures["left"]:
            failures["left"] -= 1
            return "cut" if failures["left"] == 1 else (503, {"error": {"code": "unavailable", "message": "later"}})
        return None

    stub.handler = flaky
    run = make_run(transport)
    for i in range(10):
        run.log_metric("x", i, step=i)
    run.flush()
    assert [p["step"] for p in stub.points] == list(range(10))
    run._sender.close()


def test_a_refused_key_is_set_aside_and_the_rest_delivered(stub, transport):
    def refuse_bad_key(stub, method, path, headers, body):
        if path.endswith("/metrics"):
            points = json.loads(body)["points"]
            for index, point in enumerate(points):
                if point["key"] == "bad\u0000key":
                    return 400, {"error": {"code": "invalid_field", "message": "not a key",
                                           "field": f"points.{index}.key"}}
        return None

    stub.handler = refuse_bad_key
    run = make_run(transport)
    run.log_metric("good", 1)
    run.log_metric("bad\u0000key", 2)
    run.log_metric("good", 3)
    run.log_metric("bad\u0000key", 4)
    with pytest.raises(mlexchange.DeliveryError) as raised:
        run.flush()
    assert [p["value"] for p in stub.points] == [1, 3]
    assert raised.value.points == 2
    assert raised.value.errors[0].field == "metrics.bad\u0000key"
    assert isinstance(raised.value.errors[0], mlexchange.BadRequest)
    run.flush()  # reported once
    run._sender.close()


def test_nan_is_sent_as_nan_and_infinities_clamped_as_data_and_mlflow_store_them(stub, transport):
    run = make_run(transport)
    run.log_metric("loss", 0.5)
    run.log_metric("loss", math.nan)
    run.log_metric("loss", math.inf)
    run.log_metrics({"loss": -math.inf, "acc": float("nan")})
    run.log_metric("loss", 0.25)
    run.flush()
    assert [p["value"] for p in stub.points] == [0.5, "NaN", 1.7976931348623157e308, -1.7976931348623157e308,
                                                 "NaN", 0.25]
    run._sender.close()


def test_a_param_conflict_names_the_param_and_the_others_are_stored(stub, transport):
    def conflict(stub, method, path, headers, body):
        if path.endswith("/params") and "lr" in json.loads(body)["params"]:
            return 409, {"error": {"code": "param_conflict", "message": "lr was 0.1", "field": "params.lr"}}
        return None

    stub.handler = conflict
    run = make_run(transport)
    run.log_params({"lr": 0.2, "batch": 64})
    with pytest.raises(mlexchange.DeliveryError) as raised:
        run.flush()
    assert stub.params == {"batch": 64}
    assert raised.value.errors[0].code == "param_conflict"
    assert raised.value.errors[0].field == "params.lr"
    run._sender.close()


def test_an_unreachable_server_fails_delivery_after_the_retry_window(tmp_path):
    from mlexchange.config import Settings
    from mlexchange.transport import Transport

    dead = Transport(Settings(environ={"HOME": str(tmp_path), "MLEX_URL": "http://127.0.0.1:9", "MLEX_TOKEN": "t"}),
                     retry_seconds=0.5)
    run = make_run(dead)
    for i in range(10):
        run.log_metric("x", i)
    started = time.time()
    with pytest.raises(mlexchange.DeliveryError) as raised:
        run.flush()
    assert 0.4 <= time.time() - started < 5
    assert raised.value.points == 10
    assert isinstance(raised.value.errors[0], mlexchange.ConnectionFailed)
    run._sender.close()


def test_four_threads_logging_at_once_lose_nothing(stub, transport):
    run = make_run(transport)

    def log(thread):
        for step in range(25_000):
            run.log_metric(f"t{thread}", thread * 1_000_000 + step, step=step)

    threads = [threading.Thread(target=log, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.flush()
    assert len(stub.points) == 100_000
    for n in range(4):
        steps = [p["step"] for p in stub.points if p["key"] == f"t{n}"]
        assert steps == list(range(25_000))  # each thread's points in its order
        assert all(p["value"] == n * 1_000_000 + p["step"] for p in stub.points if p["key"] == f"t{n}")
    run._sender.close()


def test_finish_flushes_sets_the_status_and_closes_the_run(stub, transport):
    def status(stub, method, path, headers, body):
        if method == "PATCH" and path.endswith("/runs/0190c0de-0000-7000-8000-000000000001"):
            return 200, {"id": "x", "status": json.loads(body)["status"]}
        return None

    stub.handler = status
    run = make_run(transport)
    run.log_metric("x", 1)
    run.finish()
    assert len(stub.points) == 1
    assert run.status == "finished"
    with pytest.raises(RuntimeError):
        run.log_metric("x", 2)


def test_the_context_manager_fails_the_run_on_an_exception(stub, transport):
    seen = []

    def status(stub, method, path, headers, body):
        if method == "PATCH":
            seen.append(json.loads(body)["status"])
            return 200, {"status": seen[-1]}
        return None

    stub.handler = status
    with pytest.raises(ZeroDivisionError):
        with make_run(transport) as run:
            run.log_metric("x", 1)
            1 / 0
    assert seen == ["failed"]
    assert len(stub.points) == 1
