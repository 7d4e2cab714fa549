"""Dataset versions: a folder uploaded as a new final version, a version downloaded to a folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import artifacts, client, errors, injob, projects


@dataclass
class DatasetVersion:
    id: str
    number: int
    dataset_id: str
    project_id: str
    state: str
    size: int = 0
    file_count: int = 0
    files: list = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, described: dict, files=None) -> "DatasetVersion":
        return cls(id=described["id"], number=described.get("number", 0), dataset_id=described.get("datasetId"),
                   project_id=described.get("projectId"), state=described.get("state"),
                   size=described.get("size") or 0, file_count=described.get("fileCount") or 0,
                   files=list(files or []), raw=described)


def _no_job(what: str) -> None:
    if injob.in_job():
        raise errors.NotAvailableInJob(
            f"{what} needs the network, which a job does not have; a job's input dataset is mounted "
            f"read-only at {os.environ.get('MLEX_DATASET_DIR') or '/data'}")


def _dataset_id(transport, project_id: str, name: str) -> str:
    for attempt in (0, 1):
        for found in transport.pages("data", f"/v1/projects/{project_id}/datasets"):
            if found.get("name") == name:
                return found["id"]
        try:
            return transport.call("POST", "data", f"/v1/projects/{project_id}/datasets", {"name": name})["id"]
        except errors.Conflict:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _scan(folder: str) -> list:
    """(relative path, local path) of every regular file under `folder`, symbolic links not followed."""
    if not os.path.isdir(folder):
        raise ValueError(f"{folder} is not a directory")
    found = []
    for root, directories, names in os.walk(folder):
        directories.sort()
        for name in names:
            local = os.path.join(root, name)
            if os.path.isfile(local) and not os.path.islink(local):
                found.append((os.path.relpath(local, folder).replace(os.sep, "/"), local))
    return sorted(found)


def create_dataset_version(project: str, dataset: str, folder: str, description: str | None = None,
                           progress=None) -> DatasetVersion:
    """Uploads every file under `folder` as a new version of `dataset` (made when the project has
    none of that name) and finalizes it. Big files go through the resumable upload.
    `progress(sent, total)` counts the bytes of the whole folder. If an upload fails, the draft
    is trashed (and purged when you may), so no half-filled version stays."""
    _no_job("create_dataset_version")
    transport = client.transport()
    files = _scan(folder)
    if not files:
        raise ValueError(f"{folder} holds no files to upload as a dataset")
    project_id = projects.project_id(transport, project)
    dataset_id = _dataset_id(transport, project_id, dataset)
    draft = transport.call("POST", "data", f"/v1/datasets/{dataset_id}/versions",
                           {"description": description or f"uploaded from {os.path.basename(os.path.abspath(folder))}"})
    version_id = draft["id"]
    total = sum(os.path.getsize(local) for _, local in files)
    stored = []
    try:
        done = 0
        for path, local in files:
            offset = done
            report = (lambda sent, _, offset=offset: progress(offset + sent, total)) if progress else None
            stored.append(artifacts.upload(transport, ("datasetVersion", version_id), local, path, report))
            done += os.path.getsize(local)
        final = transport.call("POST", "data", f"/v1/dataset-versions/{version_id}/finalize")
    except BaseException:
        for query in (None, {"purge": "true"}):
            try:
                transport.call("DELETE", "data", f"/v1/dataset-versions/{version_id}", query=query, retry=10)
            except Exception:
                pass
        raise
    return DatasetVersion.from_api(final, stored)


def dataset_version(version_id: str) -> DatasetVersion:
    """A version with its files."""
    _no_job("dataset_version")
    transport = client.transport()
    described = transport.call("GET", "data", f"/v1/dataset-versions/{version_id}")
    files = list(transport.pages("data", f"/v1/dataset-versions/{version_id}/files", limit=1000))
    return DatasetVersion.from_api(described, files)


def download_dataset_version(version, path: str = ".", progress=None) -> DatasetVersion:
    """Downloads every file of a version (its id or a DatasetVersion) under `path`. A file
    already there with the right content is skipped; a partial one (`<file>.part`) is resumed;
    each file's SHA-256 is checked before it takes its name (IntegrityError otherwise)."""
    version_id = getattr(version, "id", version)
    found = dataset_version(version_id)
    transport = client.transport()
    total = sum(f.get("size") or 0 for f in found.files)
    done = 0
    root = os.path.abspath(path)
    for described in found.files:
        relative = described["path"]
        destination = os.path.abspath(os.path.join(root, *relative.split("/")))
        if not destination.startswith(root + os.sep):
            raise errors.IntegrityError(f"refusing a file path outside the destination: {relative}")
        offset = done
        report = (lambda sent, _, offset=offset: progress(offset + sent, total)) if progress else None
        artifacts.download(transport, f"/v1/dataset-versions/{version_id}/files/{artifacts.quote_path(relative)}",
                           destination, described.get("size") or 0, described.get("sha256") or "", report)
        done += described.get("size") or 0
    return found
