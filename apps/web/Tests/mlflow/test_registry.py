"""MLflow's model registry backed by our hub: registered models are hub models of the project,
model versions are hub versions (with the run they came from), stages and aliases are the hub's."""

import mlflow
import pytest
from mlflow.exceptions import MlflowException


def run_with_model(client, experiment_id, tmp_path, content):
    """A finished run with a `model/` artifact folder holding `weights.txt` and an `MLmodel`
    (what `register_model` looks for under a `runs:/` URI)."""
    folder = tmp_path / content
    folder.mkdir()
    (folder / "weights.txt").write_text(content)
    (folder / "MLmodel").write_text("artifact_path: model\nflavors: {}\n")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "acc", 0.5)
    client.log_artifacts(run_id, str(folder), "model")
    client.set_terminated(run_id)
    return run_id


def test_register_stages_aliases_and_latest(client, experiment_id, unique, tmp_path, ours, project_id):
    first = run_with_model(client, experiment_id, tmp_path, "one")
    second = run_with_model(client, experiment_id, tmp_path, "two")

    version = mlflow.register_model(f"runs:/{first}/model", unique, tags={"origin": "first"})
    assert (version.name, version.version, version.run_id) == (unique, "1", first)
    assert version.status == "READY"
    version = mlflow.register_model(f"runs:/{second}/model", unique)
    assert version.version == "2"

    client.transition_model_version_stage(unique, "1", "Staging")
    client.transition_model_version_stage(unique, "2", "Production")
    assert client.get_model_version(unique, "1").current_stage == "Staging"
    latest = client.get_latest_versions(unique, stages=["Production"])
    assert [(v.version, v.current_stage) for v in latest] == [("2", "Production")]
    latest = client.get_latest_versions(unique)
    assert sorted((v.version, v.current_stage) for v in latest) == [("1", "Staging"), ("2", "Production")]

    client.set_registered_model_alias(unique, "champion", "2")
    client.set_registered_model_alias(unique, "challenger", "1")
    assert client.get_model_version_by_alias(unique, "champion").version == "2"
    assert client.get_registered_model(unique).aliases == {"champion": "2", "challenger": "1"}
    client.delete_registered_model_alias(unique, "challenger")
    assert client.get_registered_model(unique).aliases == {"champion": "2"}
    with pytest.raises(MlflowException) as error:
        client.get_model_version_by_alias(unique, "challenger")
    assert error.value.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")

    client.set_registered_model_tag(unique, "task", "classification")
    client.set_model_version_tag(unique, "2", "validated", "yes")
    client.update_registered_model(unique, description="a test model")
    client.update_model_version(unique, "2", description="the good one")
    model = client.get_registered_model(unique)
    assert model.description == "a test model"
    assert model.tags == {"task": "classification"}
    two = client.get_model_version(unique, "2")
    assert (two.description, two.tags, two.run_id) == ("the good one", {"validated": "yes"}, second)
    assert client.get_model_version(unique, "1").tags == {"origin": "first"}

    found = client.search_registered_models(filter_string=f"name = '{unique}'")
    assert [m.name for m in found] == [unique]
    versions = client.search_model_versions(f"name = '{unique}'")
    assert sorted(v.version for v in versions) == ["1", "2"]

    # `models:/` URIs resolve through the registry to the run's files.
    downloaded = mlflow.artifacts.download_artifacts(f"models:/{unique}/2", dst_path=str(tmp_path / "by-version"))
    assert open(f"{downloaded}/weights.txt").read() == "two"
    downloaded = mlflow.artifacts.download_artifacts(f"models:/{unique}@champion", dst_path=str(tmp_path / "by-alias"))
    assert open(f"{downloaded}/weights.txt").read() == "two"

    if ours is None:
        return
    hub = ours.hub_model(project_id, unique)
    assert hub is not None, f"no hub model {unique} in project {project_id}"
    assert hub["latestVersion"] == 2
    assert hub.get("description") == "a test model"
    by_number = {v["number"]: v for v in hub["versions"]}
    assert sorted(by_number) == [1, 2]
    assert by_number[1]["stage"] == "staging"
    assert by_number[2]["stage"] == "production"
    assert by_number[2]["aliases"] == ["champion"]
    assert by_number[1]["aliases"] == []
    assert by_number[1]["source"]["runId"] == first
    assert by_number[2]["source"]["runId"] == second
    assert by_number[2].get("description") == "the good one"


def test_archive_existing_rename_and_delete(client, experiment_id, unique, tmp_path, ours, project_id):
    first = run_with_model(client, experiment_id, tmp_path, "a")
    second = run_with_model(client, experiment_id, tmp_path, "b")
    client.create_registered_model(unique)
    with pytest.raises(MlflowException) as error:
        client.create_registered_model(unique)
    assert error.value.error_code == "RESOURCE_ALREADY_EXISTS"
    client.create_model_version(unique, f"runs:/{first}/model", run_id=first)
    client.create_model_version(unique, f"runs:/{second}/model", run_id=second)
    client.transition_model_version_stage(unique, "1", "Production")
    client.transition_model_version_stage(unique, "2", "Production", archive_existing_versions=True)
    assert client.get_model_version(unique, "1").current_stage == "Archived"
    assert [v.version for v in client.get_latest_versions(unique, ["Production"])] == ["2"]

    renamed = unique + "-renamed"
    client.rename_registered_model(unique, renamed)
    assert client.get_registered_model(renamed).latest_versions
    with pytest.raises(MlflowException) as error:
        client.get_registered_model(unique)
    assert error.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    if ours is not None:
        hub = ours.hub_model(project_id, renamed)
        assert hub is not None
        assert {v["number"]: v["stage"] for v in hub["versions"]} == {1: "archived", 2: "production"}

    client.delete_model_version(renamed, "1")
    assert [v.version for v in client.search_model_versions(f"name = '{renamed}'")] == ["2"]
    client.delete_registered_model(renamed)
    with pytest.raises(MlflowException) as error:
        client.get_registered_model(renamed)
    assert error.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    if ours is not None:
        assert ours.hub_model(project_id, renamed) is None
