"""Start `dagster dev` on loopback for a test, wait until its GraphQL answers, and stop it cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import zero_dropout

DAGSTER = os.path.join(os.path.dirname(sys.executable), "dagster")


def _default_signals() -> None:
    # a test run started in the background by a shell inherits SIGINT ignored; dagster dev stops its
    # webserver and daemon with SIGINT, so give it the default handlers back
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())["data"]


class Stopped:
    """Filled in when the server has stopped: whether SIGTERM was enough."""

    cleanly: bool | None = None


@contextlib.contextmanager
def dagster_dev(env: dict[str, str], timeout: float = 120):
    """Yields (port, asset nodes) once the code location has loaded; stops the server with SIGTERM."""
    port = free_port()
    env = {**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1", **env}
    proc = subprocess.Popen([DAGSTER, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=zero_dropout.PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=_default_signals)
    stopped = Stopped()
    try:
        deadline, nodes = time.time() + timeout, None
        while time.time() < deadline and not nodes:
            try:
                nodes = graphql(port, "{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
            except (OSError, KeyError, TypeError, ValueError):
                time.sleep(1)
        assert nodes, "dagster dev did not answer on loopback in time"
        yield port, nodes, stopped
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=90)
            stopped.cleanly = True
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stopped.cleanly = False
