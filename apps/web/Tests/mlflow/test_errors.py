"""Errors in MLflow's shape: its client raises `MlflowException` with the code its users' code
checks (`RESOURCE_DOES_NOT_EXIST`, `INVALID_PARAMETER_VALUE`, `RESOURCE_ALREADY_EXISTS`)."""

import uuid

import pytest
from mlflow.exceptions import MlflowException, RestException
from mlflow.protos.databricks_pb2 import ErrorCode


def code(error):
    return error.value.error_code


@pytest.mark.parametrize("run_id", [uuid.uuid4().hex, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "no-such-run"])
def test_unknown_run_is_resource_does_not_exist(client, run_id):
    with pytest.raises(MlflowException) as error:
        client.get_run(run_id)
    assert code(error) == "RESOURCE_DOES_NOT_EXIST"
    assert isinstance(error.value, RestException)
    assert error.value.get_http_status_code() == 404


def test_unknown_experiment_and_name(client, unique, ours):
    with pytest.raises(MlflowException) as error:
        client.get_experiment("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
    # Our ids are UUIDv7s, so this one is well-formed and unknown; MLflow's own server, whose ids
    # are integers, calls it malformed.
    assert code(error) == ("RESOURCE_DOES_NOT_EXIST" if ours else "INVALID_PARAMETER_VALUE")
    assert client.get_experiment_by_name(unique) is None


def test_duplicate_experiment_name_already_exists(client, unique):
    client.create_experiment(unique)
    with pytest.raises(MlflowException) as error:
        client.create_experiment(unique)
    assert code(error) == "RESOURCE_ALREADY_EXISTS"


def test_changing_a_param_is_invalid(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")  # the same value again is fine
    with pytest.raises(MlflowException) as error:
        client.log_param(run_id, "lr", "0.2")
    assert code(error) == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_bad_filter_is_invalid_parameter_value(client, experiment_id):
    with pytest.raises(MlflowException) as error:
        client.search_runs([experiment_id], "metrics.acc >>> 1")
    assert code(error) == "INVALID_PARAMETER_VALUE"


def test_unknown_registered_model(client, unique):
    with pytest.raises(MlflowException) as error:
        client.get_registered_model(unique)
    assert code(error) == "RESOURCE_DOES_NOT_EXIST"
    assert error.value.error_code == ErrorCode.Name(ErrorCode.RESOURCE_DOES_NOT_EXIST)
