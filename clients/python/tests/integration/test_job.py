"""A real job through compute whose training script uses the client: in the sandbox (no network,
read-only system, uid 65534, Debian's /usr/bin/python3) the same calls become the agent's
protocol lines and /output files, and the job's run ends up holding them.

The sandbox shows only the host's system directories, so `mlexchange` is not importable there
unless it travels with the code: the package ships it next to the script (vendored), which is
what docs/python.md tells users to do (or to install it into the nodes' system Python)."""

import hashlib
import io
import os
import tarfile

from integration_helpers import wait_for

TRAIN = '''\
import os
import mlexchange

MODEL = bytes(range(256)) * 4096
lr = mlexchange.job_params()["lr"]
# The project named here is the laptop's; in a job the run is the job's own, whatever is named.
with mlexchange.start_run(project="vision", experiment="baseline", params={"optimizer": "adam"}) as run:
    assert run.id == os.environ["MLEX_RUN_ID"], (run.id, os.environ["MLEX_RUN_ID"])
    for step in range(50):
        run.log_metric("loss", lr / (step + 1), step=step)
    run.log_metrics({"acc": 0.5, "f1": 0.25}, step=50)
    run.log_params({"layers": 3, "activation": "relu"})
    run.set_tag("stage", "job")
    run.log_text("training done")
    with open("/tmp/model.bin", "wb") as handle:
        handle.write(MODEL)
    run.log_artifact("/tmp/model.bin", name="model/model.bin")
    mlexchange.progress(1.0, "done")
'''
MODEL = bytes(range(256)) * 4096


def code_package(client_source):
    """A tar of train.py with the client's package beside it (no caches)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        script = TRAIN.encode()
        info = tarfile.TarInfo("train.py")
        info.size, info.mode = len(script), 0o644
        tar.addfile(info, io.BytesIO(script))
        tar.add(client_source, arcname="mlexchange",
                filter=lambda member: None if "__pycache__" in member.name or member.name.endswith(".pyc") else member)
    return buffer.getvalue()


def test_a_job_using_the_client_fills_its_run(api, project):
    package = code_package(os.environ["MLEX_TEST_CLIENT_SOURCE"])
    status, body = api.request(
        "PUT", f"/api/data/v1/projects/{project['id']}/files/code/train.tar", package,
        headers={"Content-Type": "application/octet-stream"})
    assert status in (200, 201), body[:300]
    job = api.json("POST", "/api/compute/v1/jobs", {
        "projectId": project["id"], "name": "python client", "codePackage": "code/train.tar",
        "command": ["/usr/bin/python3", "train.py"], "params": {"lr": 0.5},
        "queue": os.environ["MLEX_TEST_QUEUE"], "resources": {"cpus": 1, "memoryMB": 512},
        "timeoutSeconds": 120,
    })
    terminal = {"succeeded", "failed", "cancelled", "timed_out"}

    def ended():
        current = api.get(f"/api/compute/v1/jobs/{job['id']}")
        return current if current["state"] in terminal else None

    done = wait_for(ended, timeout=150, what=f"job {job['id']} to end")
    lines = [entry["message"] for entry in api.paged(f"/api/compute/v1/jobs/{job['id']}/logs")]
    assert done["state"] == "succeeded", f"{done['state']} ({done.get('reason')}); log:\n" + "\n".join(lines)
    assert "training done" in lines
    assert done.get("progress") == 1.0

    run_id = done["runId"]
    # Data sets the run's status from compute's events: it may trail the job by a moment.
    run = wait_for(lambda: (lambda r: r if r["status"] == "finished" else None)(api.run(run_id)), timeout=30,
                   what="the run to be finished")
    assert [(p["step"], p["value"]) for p in api.history(run_id, "loss")] == [
        (step, 0.5 / (step + 1)) for step in range(50)]
    assert [p["value"] for p in api.history(run_id, "acc")] == [0.5]
    params = {key: str(value) for key, value in run["params"].items()}
    assert {k: params.get(k) for k in ("optimizer", "layers", "activation", "lr")} == {
        "optimizer": "adam", "layers": "3", "activation": "relu", "lr": "0.5"}
    assert run["tags"]["stage"] == "job"
    files = api.run_files(run_id)
    assert "outputs/model/model.bin" in files, sorted(files)
    assert files["outputs/model/model.bin"]["sha256"] == hashlib.sha256(MODEL).hexdigest()
