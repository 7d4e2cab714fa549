"""The `mlexchange` client against the real platform (issue 29).

PythonClientTests (apps/web/Tests/WebGatewayTests/PythonClientTests.swift) starts users, data,
compute, an agent and the gateway as processes (`make test` runs it) and this folder with:

- MLEX_TEST_URL, MLEX_TEST_TOKEN: the gateway and a personal API token (`mlx_…`) of a new user;
- MLEX_TEST_DATA_PID: data's process, which the outage tests stop (SIGSTOP) and resume;
- MLEX_TEST_QUEUE: the compute queue the agent serves;
- MLEX_TEST_CLIENT_SOURCE: clients/python/mlexchange, which the job test ships inside its code
  package (a job's sandbox has no network and its own read-only system: docs/python.md).

The client under test is the one installed into .venv (`make deps` runs `pip install
./clients/python`). Everything is read back through our own API, not through the client.
"""

import filecmp
import os
from pathlib import Path

import mlexchange
import pytest
from integration_helpers import OurAPI


def pytest_configure(config):
    """The suite tests the installed client: refuse to run one older than the sources."""
    source = os.environ.get("MLEX_TEST_CLIENT_SOURCE")
    installed = os.path.dirname(mlexchange.__file__)
    if not source or os.path.samefile(source, installed):
        return
    names = sorted(name for name in os.listdir(source) if name.endswith(".py"))
    _, differ, missing = filecmp.cmpfiles(source, installed, names, shallow=False)
    if differ or missing:
        raise pytest.UsageError(
            f"the mlexchange in {installed} is not the one in {source} ({', '.join(differ + missing)} differ): "
            "run `make deps` to install it again")


def pytest_collection_modifyitems(config, items):
    """Without the platform (a plain `pytest` in clients/python), these are skipped, not errors."""
    if os.environ.get("MLEX_TEST_URL"):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="needs the platform: PythonClientTests (`make test`) runs these")
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def api():
    return OurAPI(os.environ["MLEX_TEST_URL"], os.environ["MLEX_TEST_TOKEN"])


@pytest.fixture(autouse=True)
def configured():
    """Each test starts from the platform's URL and token, whatever the last one pointed the
    client at (a proxy, a wrong token, a short retry budget)."""
    mlexchange.configure(url=os.environ["MLEX_TEST_URL"], token=os.environ["MLEX_TEST_TOKEN"])


@pytest.fixture
def project(api):
    """A new project of the test's user: {id, name, …}."""
    return api.new_project()
