"""The deployment past one machine, for real: the instance in PostgreSQL, runs queued by the daemon's
QueuedRunCoordinator, steps executed by two Celery workers over a Redis broker, a load submitted with
`zero-dropout run --deployment`; the warehouse equals the in-process run's."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg

import zero_dropout
from services import free_port, postgres, redis, _wait_for_port
from pipelines.runner import run
from test_operations import _all_tables
from zero_dropout.generator import GeneratorConfig, generate
from zero_dropout.terms import Term

ROOT = zero_dropout.PROJECT_ROOT
BIN = Path(sys.executable).parent


def _start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    # its own process group: stopping it stops what it started (the daemon's threads, a worker's children)
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_load_on_postgres_and_two_celery_workers_equals_the_in_process_run(tmp_path, monkeypatch):
    generate(GeneratorConfig(("10", "11"), (Term.parse("2567-1"),), 120, seed=4, forms="csv"), tmp_path / "g")
    inbox = tmp_path / "g" / "inbox"
    with postgres() as pg_url, redis() as redis_url:
        home = tmp_path / "home"
        home.mkdir()
        shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
        env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_PG_URL": pg_url, "DAGSTER_DISABLE_TELEMETRY": "1",
               "ZERO_DROPOUT_EXECUTOR": "celery", "ZERO_DROPOUT_CELERY_BROKER": f"{redis_url}/0",
               "ZERO_DROPOUT_CELERY_BACKEND": f"{redis_url}/1", "ZERO_DROPOUT_INBOX": str(inbox),
               "ZERO_DROPOUT_WAREHOUSE": str(tmp_path / "deployed"), "ZERO_DROPOUT_PSEUDONYM_KEY": "k",
               "ZERO_DROPOUT_SETTLE_SECONDS": "0", "PATH": f"{BIN}:{os.environ['PATH']}"}
        port = free_port()
        logs = tmp_path / "logs"
        logs.mkdir()
        procs = [
            _start([str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)], env,
                   logs / "webserver.log"),
            _start([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], env, logs / "daemon.log"),
            *(_start([str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app", "-y",
                      "deploy/celery.yaml", "--name", name, "--", "--concurrency=1"], env, logs / f"{name}.log")
              for name in ("worker1", "worker2")),
        ]
        try:
            _wait_for_port(port, procs[0], "dagster-webserver", timeout=120)
            submitted = subprocess.run([str(BIN / "zero-dropout"), "run", "--inbox", str(inbox), "--warehouse",
                                        str(tmp_path / "deployed"), "--deployment", f"http://127.0.0.1:{port}"],
                                       env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
            assert submitted.returncode == 0, submitted.stdout[-2000:] + submitted.stderr[-2000:]
            monkeypatch.setenv("DAGSTER_PG_URL", pg_url)  # the instance settings read it
            with dg.DagsterInstance.from_config(str(home)) as instance:
                runs = instance.get_runs()
                assert sorted(r.job_name for r in runs) == sorted(
                    ["registry_job", "moe_job", "province_term_job", "province_job", "warehouse_job", "report_job"]
                ), submitted.stdout[-3000:]
                assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
                assert all(r.tags.get("dagster/asset_partition_range_start") for r in runs if r.job_name != "warehouse_job")
        finally:
            for proc in procs:
                _stop(proc)
        # both workers executed steps (Celery logs each task it finished)
        for name in ("worker1", "worker2"):
            assert "succeeded in" in (logs / f"{name}.log").read_text(), name
    run(inbox, tmp_path / "in_process", pseudonym_key="k", progress=lambda _: None)
    assert _all_tables(tmp_path / "deployed") == _all_tables(tmp_path / "in_process")
