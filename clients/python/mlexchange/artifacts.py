"""Files to and from the data service: one streamed PUT for small files, the resumable
upload (`/v1/uploads`, S3's multipart shape) for big ones, and downloads that resume a
partial file with `Range` and check its SHA-256 before giving it its name."""

from __future__ import annotations

import hashlib
import os
import time
import urllib.parse

from . import errors
from .transport import CONNECTION_ERRORS, Backoff, Transport

#: Files at least this big go through the resumable upload.
RESUMABLE_THRESHOLD = 8 << 20
MIN_PART, MAX_PART, MAX_PARTS = 1 << 20, 1 << 30, 10_000
DEFAULT_PART = 16 << 20
CHUNK = 1 << 20


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def quote_path(path: str) -> str:
    return "/".join(urllib.parse.quote(segment, safe="") for segment in path.split("/"))


def part_size_for(size: int, wanted: int = DEFAULT_PART) -> int:
    """A part size data accepts (1 MiB–1 GiB, whole MiB) that needs at most 10,000 parts."""
    least = -(-size // MAX_PARTS)
    size_mib = max(wanted, least, MIN_PART)
    size_mib = -(-size_mib // MIN_PART) * MIN_PART
    return min(size_mib, MAX_PART)


class _Reader:
    """A body for http.client: reads `length` bytes of `handle` from `start`, reporting
    `progress(base + sent, total)`; rewindable for a retry."""

    def __init__(self, handle, start, length, progress, base, total):
        self.handle, self.start, self.length = handle, start, length
        self.progress, self.base, self.total = progress, base, total
        self.seek(0)

    def seek(self, offset, whence=0):
        self.handle.seek(self.start)
        self.sent = 0
        return 0

    def read(self, size=-1):
        left = self.length - self.sent
        if left <= 0:
            return b""
        data = self.handle.read(left if size is None or size < 0 else min(size, left))
        self.sent += len(data)
        if self.progress and data:
            self.progress(self.base + self.sent, self.total)
        return data


def _check(response) -> dict:
    if response.status >= 300:
        raise errors.api_error(response.status, response.body)
    return response.json()


def upload(transport: Transport, owner: tuple, local: str, path: str, progress=None,
           threshold: int = RESUMABLE_THRESHOLD, part_size: int = DEFAULT_PART) -> dict:
    """Uploads the file `local` as `path` of `owner` — ("run", id), ("project", id) or
    ("datasetVersion", id) — and returns the stored file's description. `progress(sent,
    total)` is called as bytes go."""
    size = os.path.getsize(local)
    sha = sha256_of(local)
    if size >= threshold:
        return upload_resumable(transport, owner, local, path, size, sha, progress, part_size)
    base = {"run": "/v1/runs", "project": "/v1/projects", "datasetVersion": "/v1/dataset-versions"}[owner[0]]
    with open(local, "rb") as handle:
        body = _Reader(handle, 0, size, progress, 0, size)
        response = transport.request(
            "PUT", "data", f"{base}/{owner[1]}/files/{quote_path(path)}", body=body,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size),
                     "X-Content-SHA256": sha})
    described = _check(response)
    if progress and size == 0:
        progress(0, 0)
    return described


def upload_resumable(transport: Transport, owner: tuple, local: str, path: str, size: int, sha: str,
                     progress=None, part_size: int = DEFAULT_PART) -> dict:
    """The resumable upload: parts are sent in order; after a cut (a part that could not be
    sent), the upload is read back and only the parts missing are sent again."""
    part = part_size_for(size, part_size)
    created = transport.call("POST", "data", "/v1/uploads", {
        f"{owner[0]}Id": owner[1], "path": path, "size": size, "sha256": sha, "partSize": part})
    upload_id = created["id"]
    count = max(1, -(-size // part))
    received = {p["number"]: p for p in created.get("parts") or []}
    backoff = Backoff(transport.retry_seconds)
    with open(local, "rb") as handle:
        number = 1
        while number <= count:
            start = (number - 1) * part
            length = min(part, size - start)
            if number in received and received[number].get("size") == length:
                number += 1
                continue
            handle.seek(start)
            data = handle.read(length)
            digest = hashlib.sha256(data).hexdigest()
            if progress:
                progress(start, size)
            try:
                response = transport.request(
                    "PUT", "data", f"/v1/uploads/{upload_id}/parts/{number}", body=_Bytes(data, progress, start, size),
                    headers={"Content-Type": "application/octet-stream", "Content-Length": str(length),
                             "X-Content-SHA256": digest}, retry=0)
            except errors.ConnectionFailed:
                # A part cut midway leaves nothing: ask which parts arrived, then send the rest.
                delay = backoff.next_delay()
                if delay is None:
                    raise
                time.sleep(delay)
                state = transport.call("GET", "data", f"/v1/uploads/{upload_id}")
                received = {p["number"]: p for p in state.get("parts") or []}
                number = 1
                continue
            if response.status >= 500 or response.status == 429:
                delay = backoff.next_delay()
                if delay is None:
                    _check(response)
                time.sleep(delay)
                continue
            received[number] = _check(response)
            number += 1
    described = transport.call("POST", "data", f"/v1/uploads/{upload_id}/complete")
    if progress:
        progress(size, size)
    return described


class _Bytes:
    """A part's bytes as a rewindable body that reports progress."""

    def __init__(self, data, progress, base, total):
        self.view, self.progress, self.base, self.total = memoryview(data), progress, base, total
        self.offset = 0

    def seek(self, offset, whence=0):
        self.offset = 0
        return 0

    def read(self, size=-1):
        end = len(self.view) if size is None or size < 0 else min(len(self.view), self.offset + size)
        chunk = self.view[self.offset:end]
        self.offset = end
        if self.progress and len(chunk):
            self.progress(self.base + self.offset, self.total)
        return chunk


def download(transport: Transport, data_path: str, destination: str, size: int, sha256: str,
             progress=None) -> int:
    """Downloads `data_path` (a data-service path such as `/v1/runs/{id}/files/model.bin`) to
    `destination`: bytes go to `<destination>.part`, a cut download resumes from what that holds
    (`Range`), and the whole must match `sha256` before it takes its name (IntegrityError
    otherwise, and the part is removed). A destination already holding that content is left
    alone. Returns the bytes transferred."""
    if os.path.isfile(destination) and os.path.getsize(destination) == size and sha256_of(destination) == sha256:
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(destination)), exist_ok=True)
    partial = destination + ".part"
    if not os.path.exists(partial):
        open(partial, "wb").close()
    received = 0
    backoff = Backoff(transport.retry_seconds)
    while True:
        have = os.path.getsize(partial) if os.path.exists(partial) else 0
        if have > size:  # not a prefix of this file: start again from an empty part
            open(partial, "wb").close()
            have = 0
        if have == size:
            break
        headers = {"Range": f"bytes={have}-"} if have else {}
        response = transport.request("GET", "data", data_path, headers=headers, stream=True)
        if response.status not in (200, 206):
            raise errors.api_error(response.status, response.read(), response.reason)
        try:
            with open(partial, "r+b") as handle:
                # A server that ignores Range sends everything from byte 0.
                written = have if response.status == 206 else 0
                handle.seek(written)
                handle.truncate()
                while chunk := response.read(CHUNK):
                    handle.write(chunk)
                    written += len(chunk)
                    received += len(chunk)
                    if progress:
                        progress(written, size)
        except CONNECTION_ERRORS as error:
            transport.close()
            delay = backoff.next_delay()
            if delay is None:
                raise errors.ConnectionFailed(f"download of {data_path} cut: {error}") from error
            time.sleep(delay)
            continue
        if response.will_close:
            transport.close()
        if written >= size:
            break
        delay = backoff.next_delay()  # the answer ended short: try again from where it stopped
        if delay is None:
            raise errors.ConnectionFailed(f"download of {data_path} kept ending early ({written} of {size} bytes)")
        time.sleep(delay)
    digest = sha256_of(partial)
    if digest != sha256:
        os.remove(partial)
        raise errors.IntegrityError(
            f"{os.path.basename(destination)} arrived with SHA-256 {digest}, expected {sha256}; "
            "the partial file was removed, download it again")
    os.replace(partial, destination)
    return received
