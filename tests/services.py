"""Real PostgreSQL and Redis servers for the deployment test: Debian's packages, started on loopback in a
folder of the test, stopped when it ends. The test command installs the packages
(scripts/install-system-packages); a missing server is a failure, never a skip."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: run scripts/install-system-packages (the README's test "
                           "command does)")
    return found[-1]


@contextlib.contextmanager
def postgres():
    """A PostgreSQL server on 127.0.0.1 with a database ``dagster``; yields its URL. As root, the server runs as
    the ``postgres`` user the Debian package creates (PostgreSQL refuses to run as root)."""
    root = Path(tempfile.mkdtemp(prefix="zd-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    subprocess.run([*as_user, _pg_bin("initdb"), "-D", str(data), "-U", "dagster", "--auth=trust", "-E", "UTF8"],
                   check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([*as_user, _pg_bin("postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                             "-k", str(root), "-c", "fsync=off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, proc, "postgres")
        for _ in range(50):  # accepting connections a moment after the port opens
            made = subprocess.run([*as_user, _pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "dagster",
                                   "dagster"], capture_output=True)
            if made.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("createdb failed: " + made.stderr.decode()[-300:])
        yield f"postgresql+psycopg2://dagster@127.0.0.1:{port}/dagster"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def redis():
    """A Redis server on 127.0.0.1 with no persistence; yields its URL."""
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("redis-server not found: run scripts/install-system-packages (the README's test command does)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
