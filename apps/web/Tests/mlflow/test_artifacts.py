"""Artifacts through MLflow's proxied artifact API (`mlflow-artifacts`): they are the run's own
files, so our file API lists and serves the same bytes under the same paths."""

import hashlib
import json
import os

import mlflow
import pytest

MB = 1024 * 1024


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(8 * MB):
            digest.update(chunk)
    return digest.hexdigest()


def test_log_artifacts_list_and_download(client, experiment_id, tmp_path, ours):
    source = tmp_path / "source"
    (source / "plots" / "deep").mkdir(parents=True)
    (source / "model.txt").write_text("weights\n")
    (source / "plots" / "curve.csv").write_text("step,loss\n0,1.0\n1,0.5\n")
    (source / "plots" / "deep" / "notes.md").write_text("# notes\n")
    single = tmp_path / "config.yaml"
    single.write_text("lr: 0.01\n")

    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(single))
        mlflow.log_artifact(str(single), artifact_path="configs")
        mlflow.log_artifacts(str(source), artifact_path="outputs")
        mlflow.log_text("hello", "texts/hello.txt")
        mlflow.log_dict({"a": 1}, "texts/data.json")
    run_id = run.info.run_id
    assert run.info.artifact_uri.endswith(f"/{run_id}/artifacts")

    top = client.list_artifacts(run_id)
    assert [(f.path, f.is_dir) for f in top] == [
        ("config.yaml", False),
        ("configs", True),
        ("outputs", True),
        ("texts", True),
    ]
    assert top[0].file_size == len("lr: 0.01\n")
    nested = client.list_artifacts(run_id, "outputs/plots")
    assert [(f.path, f.is_dir) for f in nested] == [("outputs/plots/curve.csv", False), ("outputs/plots/deep", True)]

    downloaded = client.download_artifacts(run_id, "outputs", str(tmp_path / "back"))
    for relative in ("model.txt", "plots/curve.csv", "plots/deep/notes.md"):
        assert open(os.path.join(downloaded, relative)).read() == (source / relative).read_text()
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/texts/hello.txt") == "hello"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/texts/data.json") == {"a": 1}

    if ours is None:
        return
    files = ours.run_files(run_id)
    expected = {
        "config.yaml": single.read_bytes(),
        "configs/config.yaml": single.read_bytes(),
        "outputs/model.txt": (source / "model.txt").read_bytes(),
        "outputs/plots/curve.csv": (source / "plots" / "curve.csv").read_bytes(),
        "outputs/plots/deep/notes.md": (source / "plots" / "deep" / "notes.md").read_bytes(),
        "texts/hello.txt": b"hello",
    }
    assert set(expected) | {"texts/data.json"} == set(files)
    for path, content in expected.items():
        assert files[path]["size"] == len(content)
        assert files[path]["sha256"] == hashlib.sha256(content).hexdigest()
        assert ours.file_bytes(run_id, path) == content
    assert json.loads(ours.file_bytes(run_id, "texts/data.json")) == {"a": 1}


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """200 MB of random bytes (incompressible, so nothing along the way can shortcut them)."""
    path = tmp_path_factory.mktemp("big") / "weights.bin"
    with open(path, "wb") as file:
        for _ in range(200):
            file.write(os.urandom(MB))
    return path, sha256_of(path)


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "single-put"])
def test_200mb_artifact_up_and_down(client, experiment_id, tmp_path, big_file, multipart, monkeypatch, ours):
    path, digest = big_file
    # MLflow's client uploads in parts only when told to and the file is at least the minimum
    # (500 MB by default): lowered so this 200 MB file goes in 20 parts of 10 MB.
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true" if multipart else "false")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(100 * MB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(10 * MB))

    run_id = client.create_run(experiment_id).info.run_id
    client.log_artifact(run_id, str(path), "checkpoints")
    [listed] = client.list_artifacts(run_id, "checkpoints")
    assert (listed.path, listed.file_size) == ("checkpoints/weights.bin", 200 * MB)

    back = client.download_artifacts(run_id, "checkpoints/weights.bin", str(tmp_path))
    assert os.path.getsize(back) == 200 * MB
    assert sha256_of(back) == digest

    if ours is None:
        return
    mine = ours.run_files(run_id)
    assert list(mine) == ["checkpoints/weights.bin"]
    assert (mine["checkpoints/weights.bin"]["size"], mine["checkpoints/weights.bin"]["sha256"]) == (200 * MB, digest)
