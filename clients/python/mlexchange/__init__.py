"""mlexchange: track training runs on MLExchange from Python, inside and outside its jobs.

    import mlexchange
    with mlexchange.start_run(project="vision", params={"lr": 0.01}) as run:
        for step in range(100):
            run.log_metric("loss", 1 / (step + 1), step=step)
"""

from .client import configure
from .datasets import DatasetVersion, create_dataset_version, dataset_version, download_dataset_version
from .errors import (APIError, BadRequest, Conflict, ConnectionFailed, DeliveryError, Forbidden,
                     IntegrityError, MLExError, NotAvailableInJob, NotFound, Unauthorized)
from .injob import in_job, job_params
from .run import JobRun, Run, active_run, progress, start_run
from .search import RunInfo, search_runs, search_runs_df

__version__ = "0.1.0"

__all__ = [
    "configure", "start_run", "active_run", "progress", "job_params", "in_job", "search_runs", "search_runs_df",
    "create_dataset_version", "dataset_version", "download_dataset_version", "Run", "JobRun", "RunInfo",
    "DatasetVersion", "MLExError", "APIError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict",
    "ConnectionFailed", "DeliveryError", "NotAvailableInJob", "IntegrityError", "__version__",
]
