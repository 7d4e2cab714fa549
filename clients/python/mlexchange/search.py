"""Run search (`POST /v1/runs/search`, the filter language of docs/data.md) as plain objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import client, errors, injob, projects


@dataclass
class RunInfo:
    id: str
    name: str
    status: str
    project_id: str
    experiment_id: str
    start_time: str | None = None
    end_time: str | None = None
    created_by: str | None = None
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    metric_summaries: dict = field(default_factory=dict, repr=False)
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, run: dict) -> "RunInfo":
        return cls(id=run["id"], name=run.get("name"), status=run.get("status"), project_id=run.get("projectId"),
                   experiment_id=run.get("experimentId"), start_time=run.get("startTime"),
                   end_time=run.get("endTime"), created_by=run.get("createdBy"), params=run.get("params") or {},
                   metrics=run.get("metrics") or {}, tags=run.get("tags") or {},
                   metric_summaries=run.get("metricSummaries") or {}, raw=run)


def search_runs(project: str, filter: str | None = None, order_by=None, limit: int = 100,
                experiment_ids=None, view: str = "active") -> list:
    """Runs of `project` (id or name) matching `filter`, in `order_by` order ("metrics.acc desc"
    or a list of up to 5 such), at most `limit` of them (pages of 1000 are fetched as needed)."""
    if injob.in_job():
        raise errors.NotAvailableInJob("search_runs needs the network, which a job does not have")
    transport = client.transport()
    body: dict = {"projectId": projects.project_id(transport, project), "view": view}
    if filter:
        body["filter"] = filter
    if order_by:
        body["orderBy"] = [order_by] if isinstance(order_by, str) else list(order_by)
    if experiment_ids:
        body["experimentIds"] = list(experiment_ids)
    found: list = []
    while len(found) < limit:
        body["limit"] = min(1000, limit - len(found))
        page = transport.call("POST", "data", "/v1/runs/search", body)
        found.extend(RunInfo.from_api(run) for run in page.get("items") or [])
        token = page.get("nextPageToken")
        if not token or not page.get("items"):
            break
        body["pageToken"] = token
    return found


def search_runs_df(project: str, filter: str | None = None, order_by=None, limit: int = 100,
                   experiment_ids=None, view: str = "active"):
    """`search_runs` as a pandas DataFrame, one row per run: run_id, name, status, experiment_id,
    start_time, end_time, then `params.<key>`, `metrics.<key>`, `tags.<key>` columns."""
    try:
        import pandas
    except ImportError as missing:
        raise ImportError("search_runs_df needs pandas (pip install pandas); search_runs returns plain objects") \
            from missing
    rows = []
    for run in search_runs(project, filter, order_by, limit, experiment_ids, view):
        row = {"run_id": run.id, "name": run.name, "status": run.status, "experiment_id": run.experiment_id,
               "start_time": pandas.to_datetime(run.start_time) if run.start_time else None,
               "end_time": pandas.to_datetime(run.end_time) if run.end_time else None}
        row.update({f"params.{k}": v for k, v in run.params.items()})
        row.update({f"metrics.{k}": v for k, v in run.metrics.items()})
        row.update({f"tags.{k}": v for k, v in run.tags.items()})
        rows.append(row)
    return pandas.DataFrame(rows)
