"""Data frozen (SIGSTOP) mid-logging: the training loop never waits, nothing is lost; past the
retry budget, flush() says what was not delivered."""

import os
import threading
import time

import mlexchange
import pytest
from integration_helpers import data_stopped

POINTS = 30_000


def test_data_stopped_for_5_s_mid_logging_loses_nothing(api, project):
    run = mlexchange.start_run(project=project["name"], name="outage")
    slowest = 0.0
    logged = threading.Event()

    def train():
        # About 9 s of logging at a training loop's pace, so the 5 s outage falls in the middle.
        nonlocal slowest
        for step in range(POINTS):
            started = time.perf_counter()
            run.log_metric("loss", step / 4, step=step)
            if step == POINTS // 2:
                run.log_param("halfway", "yes")
                run.set_tag("phase", "second half")
            slowest = max(slowest, time.perf_counter() - started)
            if step % 50 == 0:
                time.sleep(0.015)
        logged.set()

    trainer = threading.Thread(target=train)
    trainer.start()
    time.sleep(1.0)
    with data_stopped():
        time.sleep(5)
        during = not logged.is_set()
    trainer.join()
    run.flush()
    run.finish()

    assert during, "the outage did not fall within the logging: logging finished too early"
    assert slowest < 0.5, f"a log_metric call waited {slowest:.2f} s while data was stopped"
    points = api.history(run.id, "loss")
    assert [point["step"] for point in points] == list(range(POINTS))
    assert all(point["value"] == point["step"] / 4 for point in points)
    stored = api.run(run.id)
    assert stored["params"]["halfway"] == "yes" and stored["tags"]["phase"] == "second half"
    assert stored["status"] == "finished"


def test_flush_raises_delivery_error_when_data_stays_away_past_the_retry_budget(api, project):
    # A short budget: each request waits 1 s for an answer, retries stop after 2 s.
    mlexchange.configure(
        url=os.environ["MLEX_TEST_URL"], token=os.environ["MLEX_TEST_TOKEN"], retry_seconds=2, timeout=1)
    run = mlexchange.start_run(project=project["name"], name="gives up")
    with data_stopped():
        for step in range(100):
            run.log_metric("loss", float(step), step=step)
        started = time.monotonic()
        with pytest.raises(mlexchange.DeliveryError) as raised:
            run.flush()
        waited = time.monotonic() - started
    error = raised.value
    assert error.points == 100 and error.undelivered == 100, str(error)
    assert "100 metric point" in str(error)
    assert error.errors, "the causes are kept"
    assert [item[:3] for item in error.items] == [("loss", float(step), step) for step in range(100)]
    assert waited < 30, f"flush took {waited:.1f} s with a 2 s budget"
    # Data is back: the run still takes what is logged next.
    run.log_metric("after", 1.0)
    run.finish()
    assert [p["value"] for p in api.history(run.id, "after")] == [1.0]
