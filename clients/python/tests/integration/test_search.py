"""search_runs: data's filter and order, answered as plain objects and as a DataFrame."""

import mlexchange
import pytest


@pytest.fixture
def three_runs(project):
    """Three finished runs of one experiment, with an accuracy each: {name: run id}."""
    ids = {}
    for name, accuracy, optimizer in [("low", 0.5, "sgd"), ("high", 0.97, "adam"), ("mid", 0.93, "adam")]:
        with mlexchange.start_run(
            project=project["name"], experiment="sweep", name=name, params={"optimizer": optimizer},
            tags={"sweep": "yes"}
        ) as run:
            run.log_metric("acc", accuracy, step=1)
        ids[name] = run.id
    return ids


def test_search_runs_filters_and_orders(project, three_runs):
    found = mlexchange.search_runs(
        project=project["name"], filter="metrics.acc > 0.9", order_by="metrics.acc desc", limit=100)
    assert [run.id for run in found] == [three_runs["high"], three_runs["mid"]]
    best = found[0]
    assert isinstance(best, mlexchange.RunInfo)
    assert best.name == "high" and best.status == "finished"
    assert best.params["optimizer"] == "adam"
    assert best.metrics["acc"] == 0.97
    assert best.tags["sweep"] == "yes"
    assert best.start_time and best.end_time

    by_param = mlexchange.search_runs(project=project["id"], filter='params.optimizer = "sgd"')
    assert [run.id for run in by_param] == [three_runs["low"]]
    assert mlexchange.search_runs(project=project["name"], filter="metrics.acc > 0.99") == []


def test_search_runs_df_is_a_dataframe_of_the_same_runs(project, three_runs):
    pandas = pytest.importorskip("pandas")
    frame = mlexchange.search_runs_df(project=project["name"], filter="metrics.acc > 0.9", order_by="metrics.acc desc")
    assert isinstance(frame, pandas.DataFrame)
    assert len(frame) == 2
    assert list(frame["run_id"]) == [three_runs["high"], three_runs["mid"]]
    assert list(frame["name"]) == ["high", "mid"]
    assert list(frame["metrics.acc"]) == [0.97, 0.93]
    assert list(frame["params.optimizer"]) == ["adam", "adam"]
    assert list(frame["tags.sweep"]) == ["yes", "yes"]


def test_a_bad_filter_is_a_bad_request_naming_the_field(project):
    with pytest.raises(mlexchange.BadRequest) as raised:
        mlexchange.search_runs(project=project["name"], filter="metrics.acc >>> 1")
    assert raised.value.status == 400
    assert raised.value.field == "filter" and raised.value.message
