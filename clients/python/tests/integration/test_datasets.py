"""A dataset version up from a folder and down to another one, resuming a cut download."""

import hashlib
import os
import urllib.parse

import mlexchange
from cutting_proxy import CuttingProxy

BIG = 12 * 1000 * 1000  # past the resumable-upload threshold, so both upload paths are used


def make_folder(root):
    """A small dataset: nested folders, an empty file, a big one. {relative path: bytes}."""
    files = {
        "labels.csv": b"image,label\n0.png,cat\n1.png,dog\n",
        "train/0.png": os.urandom(50_000),
        "train/1.png": os.urandom(70_000),
        "test/deep/empty.txt": b"",
        "big.bin": os.urandom(BIG),
    }
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return files


def test_dataset_version_up_and_down_with_a_partial_file(api, project, tmp_path):
    files = make_folder(tmp_path / "up")
    version = mlexchange.create_dataset_version(project=project["name"], dataset="mnist", folder=str(tmp_path / "up"))
    assert isinstance(version, mlexchange.DatasetVersion)
    assert version.number == 1
    assert version.file_count == len(files) and version.size == sum(map(len, files.values()))
    assert sorted(item["path"] for item in version.files) == sorted(files)
    stored = api.get(f"/api/data/v1/dataset-versions/{version.id}")
    assert stored["state"] == "final"
    assert stored["fileCount"] == len(files) and stored["size"] == version.size
    listed = {item["path"]: item for item in api.paged(f"/api/data/v1/dataset-versions/{version.id}/files")}
    assert {path: item["sha256"] for path, item in listed.items()} == {
        path: hashlib.sha256(content).hexdigest() for path, content in files.items()}

    # A run trained on it records it as an input (lineage, both ways).
    with mlexchange.start_run(project=project["name"], name="trained on mnist") as run:
        run.log_input(version)
    assert [item["datasetVersionId"] for item in api.paged(f"/api/data/v1/runs/{run.id}/inputs")] == [version.id]
    assert [item["runId"] for item in api.paged(f"/api/data/v1/dataset-versions/{version.id}/runs")] == [run.id]

    # The next version of the same dataset gets the next number.
    again = mlexchange.create_dataset_version(project=project["id"], dataset="mnist", folder=str(tmp_path / "up"))
    assert again.number == 2 and again.id != version.id

    # Down, into a folder where a cut download left the first 9 MB of big.bin (as `big.bin.part`,
    # what the client writes while downloading) and an old labels.csv with other bytes.
    down = tmp_path / "down"
    down.mkdir()
    (down / "big.bin.part").write_bytes(files["big.bin"][:9_000_000])
    (down / "labels.csv").write_bytes(b"x" * len(files["labels.csv"]))
    gateway = urllib.parse.urlsplit(os.environ["MLEX_TEST_URL"])
    with CuttingProxy(gateway.hostname, gateway.port) as proxy:
        mlexchange.configure(url=proxy.url, token=os.environ["MLEX_TEST_TOKEN"])
        mlexchange.download_dataset_version(version.id, path=str(down))
    for relative, content in files.items():
        assert (down / relative).read_bytes() == content, f"{relative} differs after the download"
    assert not list(down.rglob("*.part")), "a partial file was left behind"
    # Resumed: the 9 MB already there were not fetched again.
    total = sum(map(len, files.values()))
    assert proxy.downstream_bytes < total - 8_000_000, f"{proxy.downstream_bytes} bytes came down for {total}"

    # A second download into the same folder finds every file in place and fetches none of them.
    with CuttingProxy(gateway.hostname, gateway.port) as proxy:
        mlexchange.configure(url=proxy.url, token=os.environ["MLEX_TEST_TOKEN"])
        mlexchange.download_dataset_version(version, path=str(down))
    assert proxy.downstream_bytes < 100_000, f"{proxy.downstream_bytes} bytes came down for files already there"
    for relative, content in files.items():
        assert (down / relative).read_bytes() == content
