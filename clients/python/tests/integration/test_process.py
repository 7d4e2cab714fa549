"""A training script as its own process: configured only by its environment or by `mlex login`'s
saved session, exiting right after its last log call, without flush() or finish()."""

import json
import os
import subprocess
import sys

SCRIPT = """
import sys
import mlexchange

run = mlexchange.start_run(project=sys.argv[1], name="exits at once")
for step in range(5000):
    run.log_metric("loss", step / 8, step=step)
run.log_param("last", "yes")
print(run.id)
"""


def run_script(project, environment):
    """Runs SCRIPT in a fresh interpreter with only `environment` configuring the client; the run id."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MLEX_")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, project], env=inherited | environment, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_points_logged_just_before_exit_arrive(api, project):
    run_id = run_script(project["name"], {"MLEX_URL": os.environ["MLEX_TEST_URL"],
                                          "MLEX_TOKEN": os.environ["MLEX_TEST_TOKEN"]})
    points = api.history(run_id, "loss")
    assert [(p["step"], p["value"]) for p in points] == [(step, step / 8) for step in range(5000)]
    stored = api.run(run_id)
    assert stored["params"]["last"] == "yes"
    assert stored["status"] == "finished"


def test_the_session_mlex_saved_is_used(api, project, tmp_path):
    # `mlex login` writes this file (docs/cli.md); a personal API token works as its access token.
    config = tmp_path / "mlex" / "config"
    config.parent.mkdir()
    config.write_text(json.dumps({"url": os.environ["MLEX_TEST_URL"], "email": "a@lab.example",
                                  "accessToken": os.environ["MLEX_TEST_TOKEN"]}))
    run_id = run_script(project["id"], {"XDG_CONFIG_HOME": str(tmp_path)})
    assert len(api.history(run_id, "loss")) == 5000
