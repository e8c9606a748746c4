"""`zero-dropout run --deployment URL`: each job run of a load submitted to a deployment's run queue.

The deployment (deploy/dagster.yaml, docs/deployment.md) keeps its instance in PostgreSQL, queues runs with the
QueuedRunCoordinator (one warehouse load at a time) and runs steps on Celery workers. The runner plans the load
as it does in process (one run per job and range of provinces, a failed range again one province at a time);
this module submits each run through the webserver's GraphQL API and waits until the instance says it ended.
"""

from __future__ import annotations

import time
from typing import Callable
from urllib.parse import urlparse

import dagster as dg

ENDED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


class Submitted:
    """Submit a job run with its partition tags, wait for it, and return (success, the run's Dagster events)."""

    def __init__(self, url: str, progress: Callable[[str], None], poll_seconds: float = 0.5):
        from dagster_graphql import DagsterGraphQLClient

        where = urlparse(url if "://" in url else f"http://{url}")
        self.client = DagsterGraphQLClient(where.hostname or "localhost", port_number=where.port,
                                           use_https=where.scheme == "https")
        self.progress, self.poll_seconds = progress, poll_seconds

    def __call__(self, job: str, keys: list, tags: dict, instance: dg.DagsterInstance) -> tuple[bool, list]:
        run_id = self.client.submit_job_execution(job, tags=tags)
        self.progress(f"      submitted run {run_id} (queued until the deployment has room)")
        while (run := instance.get_run_by_id(run_id)) is None or run.status not in ENDED:
            time.sleep(self.poll_seconds)
        events = [entry.dagster_event for entry in instance.all_logs(run_id) if entry.dagster_event is not None]
        return run.status == dg.DagsterRunStatus.SUCCESS, events
