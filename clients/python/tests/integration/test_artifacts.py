"""A 100 MB artifact over a link that is cut once mid-upload: the resumable upload picks up where
it was, and the server ends up with exactly the local bytes."""

import hashlib
import os
import urllib.parse

import mlexchange
from cutting_proxy import CuttingProxy

SIZE = 100 * 1000 * 1000
CUT_AFTER = 60 * 1000 * 1000


def write_random_file(path, size):
    """`size` bytes that do not compress or repeat (a real model's weights, as far as any
    middlebox can tell); their SHA-256."""
    digest = hashlib.sha256()
    block = os.urandom(1 << 20)
    with open(path, "wb") as handle:
        written = 0
        while written < size:
            # A fresh prefix per MiB, so no two MiB are alike (content-addressed storage would
            # otherwise store one block and hide a mix-up of parts).
            chunk = (written.to_bytes(8, "big") + block)[: min(len(block), size - written)]
            handle.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def gateway_through(cut_after):
    gateway = urllib.parse.urlsplit(os.environ["MLEX_TEST_URL"])
    return CuttingProxy(gateway.hostname, gateway.port, cut_after=cut_after)


def test_a_100_mb_artifact_survives_a_cut_connection(api, project, tmp_path):
    local = tmp_path / "model.bin"
    expected = write_random_file(local, SIZE)
    reported = []
    with gateway_through(CUT_AFTER) as proxy:
        mlexchange.configure(url=proxy.url, token=os.environ["MLEX_TEST_TOKEN"])
        with mlexchange.start_run(project=project["name"], name="big artifact") as run:
            run.log_artifact(str(local), name="model/model.bin", progress=lambda sent, total: reported.append(
                (sent, total)))
        assert proxy.cut, "the proxy never cut the connection: the upload was smaller than expected"
        # Resumed, not sent again whole: a restart would cost the cut bytes plus the whole file.
        assert proxy.upstream_bytes < SIZE + CUT_AFTER, f"{proxy.upstream_bytes} bytes went up for {SIZE}"

    stored = api.run_files(run.id)["model/model.bin"]
    assert stored["size"] == SIZE
    assert stored["sha256"] == expected
    digest = hashlib.sha256()
    status, body = api.request("GET", f"/api/data/v1/runs/{run.id}/files/model/model.bin")
    assert status == 200
    digest.update(body)
    assert len(body) == SIZE and digest.hexdigest() == expected
    assert reported and reported[-1] == (SIZE, SIZE)
    assert all(total == SIZE for _, total in reported)


def test_a_small_artifact_is_one_request(api, project, tmp_path):
    local = tmp_path / "notes.txt"
    local.write_text("accuracy 0.91\n")
    with mlexchange.start_run(project=project["name"], name="small artifact") as run:
        run.log_artifact(str(local))
    files = api.run_files(run.id)
    assert "notes.txt" in files, sorted(files)
    assert files["notes.txt"]["sha256"] == hashlib.sha256(b"accuracy 0.91\n").hexdigest()
