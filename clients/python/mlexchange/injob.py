"""Inside a job (`MLEX_JOB_ID` set): no network, so the run's calls become the agent's stdout
protocol lines (docs/compute.md, "Reporting from inside a job") and files under /output."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys

from .sender import non_finite_text

_SPACE = re.compile(r"\s+")


def in_job(environ=None) -> bool:
    return bool((os.environ if environ is None else environ).get("MLEX_JOB_ID"))


def job_params(environ=None) -> dict:
    """The job's params (`MLEX_PARAMS`, JSON), {} outside a job."""
    text = (os.environ if environ is None else environ).get("MLEX_PARAMS") or ""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def line_key(key) -> str:
    """A key as one word of a line: the protocol splits at spaces, so whitespace becomes `_`."""
    key = str(key)
    return _SPACE.sub("_", key) if (" " in key or "\n" in key or "\t" in key or "\r" in key) else key


def line_value(value) -> str:
    """A param or tag value on one line: line breaks become spaces."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value)
    if "\n" in text or "\r" in text:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return text


class LineWriter:
    """Writes protocol lines to the process's real stdout (`sys.__stdout__`, what the agent
    reads, even while `sys.stdout` is redirected), one `write` per line so lines of several
    threads never mix."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else (sys.__stdout__ or sys.stdout)
        self.write = self.stream.write

    def metric(self, key, value, step=None) -> None:
        value = float(value)
        text = repr(value) if value - value == 0.0 else non_finite_text(value, "NaN")
        if step is None:
            self.write(f"::mlex metric {line_key(key)} {text}\n")
        else:
            self.write(f"::mlex metric {line_key(key)} {text} {int(step)}\n")

    def param(self, key, value) -> None:
        self.write(f"::mlex param {line_key(key)} {line_value(value)}\n")

    def tag(self, key, value) -> None:
        self.write(f"::mlex tag {line_key(key)} {line_value(value)}\n")

    def progress(self, fraction, message=None) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        text = f"::mlex progress {fraction!r}"
        if message:
            text += " " + line_value(message)
        self.write(text + "\n")

    def log(self, message) -> None:
        text = str(message)
        # A line of the user's that looks like a protocol line stays a log line.
        lines = [("  " + line if line.startswith("::mlex") else line) for line in text.splitlines() or [""]]
        self.write("\n".join(lines) + "\n")

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError):
            pass


def copy_output(source: str, name: str, environ=None) -> str:
    """Copies a file or a directory under `$MLEX_OUTPUT_DIR/<name>`; the agent uploads it to the
    run as `outputs/<name>` when the job ends. Returns the destination."""
    environ = os.environ if environ is None else environ
    root = environ.get("MLEX_OUTPUT_DIR") or "/output"
    name = name.strip("/")
    if not name or ".." in name.split("/"):
        raise ValueError(f"an artifact name is a relative path without '..', not {name!r}")
    destination = os.path.join(root, name)
    if os.path.abspath(source) == os.path.abspath(destination):
        return destination
    os.makedirs(os.path.dirname(destination) or root, exist_ok=True)
    if os.path.isdir(source):
        shutil.copytree(source, destination, dirs_exist_ok=True)
    else:
        shutil.copyfile(source, destination)
    return destination
