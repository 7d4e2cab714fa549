"""Inside a job: the same calls become `::mlex` lines on stdout and files under /output."""

import io
import json

import pytest

import mlexchange
from mlexchange.injob import LineWriter, copy_output
from mlexchange.run import JobRun


def lines(stream):
    return stream.getvalue().splitlines()


def test_the_line_writer_speaks_the_agent_protocol():
    out = io.StringIO()
    writer = LineWriter(out)
    writer.metric("loss", 0.25, 3)
    writer.metric("train/acc", 1)
    writer.metric("val loss", 1e-7, 2)
    writer.param("lr", 0.01)
    writer.param("note", "two\nlines")
    writer.tag("stage", "dev test")
    writer.progress(0.5, "half way")
    writer.progress(1.5)
    writer.log("::mlex metric fake 1\nplain")
    assert lines(out) == [
        "::mlex metric loss 0.25 3",
        "::mlex metric train/acc 1.0",
        "::mlex metric val_loss 1e-07 2",
        "::mlex param lr 0.01",
        "::mlex param note two lines",
        "::mlex tag stage dev test",
        "::mlex progress 0.5 half way",
        "::mlex progress 1.0",
        "  ::mlex metric fake 1",
        "plain",
    ]


def test_a_non_finite_metric_is_written_as_data_stores_it():
    out = io.StringIO()
    writer = LineWriter(out)
    writer.metric("loss", float("nan"), 3)
    writer.metric("loss", float("inf"))
    writer.metric("loss", float("-inf"))
    assert out.getvalue().splitlines() == [
        "::mlex metric loss NaN 3",
        "::mlex metric loss 1.7976931348623157e+308",
        "::mlex metric loss -1.7976931348623157e+308",
    ]


@pytest.fixture
def job(monkeypatch, tmp_path):
    monkeypatch.setenv("MLEX_JOB_ID", "0190c0de-0000-7000-8000-00000000000a")
    monkeypatch.setenv("MLEX_RUN_ID", "0190c0de-0000-7000-8000-00000000000b")
    monkeypatch.setenv("MLEX_PROJECT_ID", "0190c0de-0000-7000-8000-00000000000c")
    monkeypatch.setenv("MLEX_PARAMS", json.dumps({"lr": 0.1, "epochs": 3}))
    monkeypatch.setenv("MLEX_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("MLEX_URL", "http://127.0.0.1:9")  # never used: a job has no network
    return tmp_path


def test_start_run_in_a_job_is_the_jobs_run_and_writes_lines(job, capfd):
    model = job / "model.bin"
    model.write_bytes(b"weights")
    with mlexchange.start_run(project="ignored", experiment="ignored", params={"batch": 32},
                              tags={"k": "v"}) as run:
        assert isinstance(run, JobRun)
        assert run.id == "0190c0de-0000-7000-8000-00000000000b"
        assert run.project_id == "0190c0de-0000-7000-8000-00000000000c"
        run.log_metric("loss", 0.5, step=1)
        run.log_metrics({"a": 1, "b": 2}, step=2)
        run.log_text("a log line")
        mlexchange.progress(0.25, "quarter")
        stored = run.log_artifact(str(model), name="models/model.bin")
        run.flush()
    out = capfd.readouterr().out.splitlines()
    assert out == ["::mlex param batch 32", "::mlex tag k v", "::mlex metric loss 0.5 1", "::mlex metric a 1.0 2",
                   "::mlex metric b 2.0 2", "a log line", "::mlex progress 0.25 quarter"]
    assert (job / "output" / "models" / "model.bin").read_bytes() == b"weights"
    assert stored[0]["path"] == "outputs/models/model.bin"
    assert mlexchange.job_params() == {"lr": 0.1, "epochs": 3}


def test_network_calls_say_they_are_not_available_in_a_job(job):
    with pytest.raises(mlexchange.NotAvailableInJob):
        mlexchange.search_runs(project="p")
    with pytest.raises(mlexchange.NotAvailableInJob):
        mlexchange.create_dataset_version(project="p", dataset="d", folder=str(job))
    with pytest.raises(mlexchange.NotAvailableInJob):
        mlexchange.download_dataset_version("0190c0de-0000-7000-8000-00000000000d", path=str(job))


def test_copy_output_copies_directories_and_refuses_escaping_names(tmp_path):
    source = tmp_path / "ckpt"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "w.pt").write_bytes(b"x")
    env = {"MLEX_OUTPUT_DIR": str(tmp_path / "out")}
    copy_output(str(source), "checkpoints", env)
    assert (tmp_path / "out" / "checkpoints" / "sub" / "w.pt").read_bytes() == b"x"
    with pytest.raises(ValueError):
        copy_output(str(source), "../escape", env)


def test_job_params_outside_a_job_are_empty():
    assert mlexchange.job_params() == {}
    assert not mlexchange.in_job()
