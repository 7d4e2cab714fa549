"""MLflow 3's logged models: `mlflow.pyfunc.log_model` as a training script calls it, registering
the model on the way, then the model loaded back by its `models:/` URIs and used."""

import mlflow
import mlflow.pyfunc
from mlflow.entities import LoggedModelStatus


class Shout(mlflow.pyfunc.PythonModel):
    """A model whose predictions are easy to check: each input, upper-cased."""

    def predict(self, context, model_input, params=None):
        return [str(value).upper() for value in model_input]


def test_pyfunc_log_model_then_load_it_back(client, experiment_id, unique, ours, project_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_param("alpha", "0.5")
        info = mlflow.pyfunc.log_model(name="shout", python_model=Shout(), registered_model_name=unique)
    run_id = run.info.run_id
    assert info.model_uri == f"models:/{info.model_id}"
    assert str(info.registered_model_version) == "1"

    logged = mlflow.get_logged_model(info.model_id)
    assert logged.name == "shout"
    assert logged.status == LoggedModelStatus.READY
    assert logged.source_run_id == run_id
    assert logged.experiment_id == experiment_id
    assert logged.params == {"alpha": "0.5"}
    found = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list")
    assert [model.model_id for model in found] == [info.model_id]
    outputs = client.get_run(run_id).outputs.model_outputs
    assert [output.model_id for output in outputs] == [info.model_id]

    assert mlflow.pyfunc.load_model(info.model_uri).predict(["a", "b"]) == ["A", "B"]
    version = client.get_model_version(unique, "1")
    assert version.run_id == run_id
    assert mlflow.pyfunc.load_model(f"models:/{unique}/1").predict(["c"]) == ["C"]

    if ours is None:
        return
    # A model with a source run keeps its files among the run's, under models/<model id>/.
    files = ours.run_files(run_id)
    assert {f"models/{info.model_id}/MLmodel", f"models/{info.model_id}/python_model.pkl"} <= set(files)
    hub = ours.hub_model(project_id, unique)
    assert hub is not None
    assert [(v["number"], v["source"].get("runId")) for v in hub["versions"]] == [(1, run_id)]
