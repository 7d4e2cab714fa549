"""Files: the resumable upload after a cut part, and a download that resumes and checks its SHA-256."""

import hashlib
import json
import os
import re

import pytest

import mlexchange
from mlexchange import artifacts


class UploadServer:
    """Data's upload endpoints, with part 2 cut the first times it is sent."""

    def __init__(self):
        # Part 2 is cut twice: once a keep-alive connection's immediate retry absorbs, once not.
        self.parts, self.cut, self.complete, self.single = {}, {2: 2}, None, None
        self.state_reads = 0

    def __call__(self, stub, method, path, headers, body):
        if method == "POST" and path == "/api/data/v1/uploads":
            self.created = json.loads(body)
            return 201, {"id": "u1", "partSize": self.created["partSize"], "parts": []}
        match = re.match(r"/api/data/v1/uploads/u1/parts/(\d+)$", path)
        if method == "PUT" and match:
            number = int(match.group(1))
            if self.cut.get(number):
                self.cut[number] -= 1
                return "cut"
            assert headers["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()
            self.parts[number] = body
            return 200, {"number": number, "size": len(body), "sha256": headers["X-Content-SHA256"]}
        if method == "GET" and path == "/api/data/v1/uploads/u1":
            self.state_reads += 1
            return 200, {"id": "u1", "parts": [{"number": n, "size": len(b)} for n, b in sorted(self.parts.items())]}
        if method == "POST" and path == "/api/data/v1/uploads/u1/complete":
            self.complete = b"".join(self.parts[n] for n in sorted(self.parts))
            return 201, {"path": self.created["path"], "size": len(self.complete),
                         "sha256": hashlib.sha256(self.complete).hexdigest()}
        if method == "PUT" and "/files/" in path:
            self.single = (path, headers["X-Content-SHA256"], body)
            return 201, {"path": path.split("/files/", 1)[1], "size": len(body)}
        return None


def test_a_big_artifact_goes_in_parts_and_resumes_after_a_cut(stub, transport, tmp_path):
    server = UploadServer()
    stub.handler = server
    data = os.urandom(5 * 1024 * 1024 + 123)
    local = tmp_path / "model.bin"
    local.write_bytes(data)
    seen = []
    stored = artifacts.upload(transport, ("run", "r1"), str(local), "model/model.bin",
                              progress=lambda sent, total: seen.append((sent, total)),
                              threshold=1 << 20, part_size=1 << 20)
    assert server.complete == data
    assert server.created == {"runId": "r1", "path": "model/model.bin", "size": len(data),
                              "sha256": hashlib.sha256(data).hexdigest(), "partSize": 1 << 20}
    assert server.state_reads == 1
    assert sorted(server.parts) == [1, 2, 3, 4, 5, 6]
    assert seen[-1] == (len(data), len(data))
    assert stored["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_small_artifact_is_one_put_with_its_digest(stub, transport, tmp_path):
    server = UploadServer()
    stub.handler = server
    local = tmp_path / "a b.txt"
    local.write_bytes(b"hello")
    artifacts.upload(transport, ("run", "r1"), str(local), "notes/a b.txt")
    path, digest, body = server.single
    assert path == "/api/data/v1/runs/r1/files/notes/a%20b.txt"
    assert digest == hashlib.sha256(b"hello").hexdigest() and body == b"hello"


def test_part_sizes_stay_within_datas_limits():
    assert artifacts.part_size_for(10) == 16 << 20
    assert artifacts.part_size_for(1 << 40) % (1 << 20) == 0
    assert -(-(1 << 40) // artifacts.part_size_for(1 << 40)) <= 10_000


def test_a_download_resumes_a_partial_file_and_checks_its_digest(stub, transport, tmp_path):
    data = os.urandom(300_000)
    ranges = []

    def files(stub, method, path, headers, body):
        given = headers.get("Range")
        ranges.append(given)
        if given:
            start = int(given.split("=")[1].rstrip("-"))
            return 206, data[start:], {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
        return 200, data

    stub.handler = files
    destination = tmp_path / "d" / "x.bin"
    destination.parent.mkdir()
    (tmp_path / "d" / "x.bin.part").write_bytes(data[:100_000])
    digest = hashlib.sha256(data).hexdigest()
    got = artifacts.download(transport, "/v1/runs/r/files/x.bin", str(destination), len(data), digest)
    assert got == 200_000 and ranges == ["bytes=100000-"]
    assert destination.read_bytes() == data and not (tmp_path / "d" / "x.bin.part").exists()
    assert artifacts.download(transport, "/v1/runs/r/files/x.bin", str(destination), len(data), digest) == 0
    other = tmp_path / "d" / "y.bin"
    with pytest.raises(mlexchange.IntegrityError):
        artifacts.download(transport, "/v1/runs/r/files/x.bin", str(other), len(data), "0" * 64)
    assert not other.exists() and not (tmp_path / "d" / "y.bin.part").exists()


def test_an_empty_file_downloads_as_an_empty_file(stub, transport, tmp_path):
    stub.handler = lambda *a: (200, b"")
    destination = tmp_path / "empty.txt"
    empty = hashlib.sha256(b"").hexdigest()
    assert artifacts.download(transport, "/v1/runs/r/files/empty.txt", str(destination), 0, empty) == 0
    assert destination.read_bytes() == b"" and not (tmp_path / "empty.txt.part").exists()
