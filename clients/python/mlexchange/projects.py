"""Projects and experiments named by the caller: ids are used as they are, names are looked up."""

from __future__ import annotations

import re

from . import errors
from .transport import Transport

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DEFAULT_EXPERIMENT = "Default"


def is_id(text: str) -> bool:
    return bool(_ID.match(text or ""))


def project_id(transport: Transport, project: str) -> str:
    """The id of `project` (an id, or the name of a project the caller can see); NotFound otherwise."""
    if not project:
        raise ValueError("a project (its id or name) is required")
    if is_id(project):
        return project
    for found in transport.pages("data", "/v1/projects"):
        if found.get("name") == project:
            return found["id"]
    raise errors.NotFound(404, "not_found", f'no project named "{project}" that you can see', "project")


def experiment_id(transport: Transport, project: str, experiment: str | None) -> str:
    """The id of the experiment (id or name; made when no experiment has that name)."""
    name = experiment or DEFAULT_EXPERIMENT
    if is_id(name):
        return name
    for attempt in (0, 1):
        try:
            return transport.call("GET", "data", f"/v1/projects/{project}/experiments/by-name",
                                  query={"name": name})["id"]
        except errors.NotFound as missing:
            if missing.field != "name":
                raise  # the project itself
        try:
            return transport.call("POST", "data", f"/v1/projects/{project}/experiments", {"name": name})["id"]
        except errors.Conflict:
            if attempt:
                raise  # made by someone else at the same time: read it again
    raise AssertionError("unreachable")
