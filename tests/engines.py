"""Real engines of a test's own: a spare port, a Celery worker process to start and kill."""
from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw3" under pytest -n
# Each xdist worker picks its loopback ports from a block of its own (TEST_PORTS, default
# 41000-41999, split evenly), so parallel workers never race for the same port.
_FIRST, _LAST = (int(n) for n in os.environ.get("TEST_PORTS", "41000-41999").split("-"))
_ports: list[int] = []


def free_port() -> int:
    """A free loopback port from this worker's block (the system's choice when it is used up)."""
    if not _ports:
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
        index = (int(_WORKER[2:]) if _WORKER.startswith("gw") else 0) % workers
        size = (_LAST - _FIRST + 1) // workers
        _ports.extend(range(_FIRST + index * size, _FIRST + (index + 1) * size))
        random.shuffle(_ports)  # two runs at once on one machine rarely pick the same port
    while _ports:
        port = _ports.pop()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_url() -> str:
    """TEST_REDIS_URL (default database 15), one database further per xdist worker: gw1 of
    redis://host/11 gets redis://host/12, so workers never flush each other's queues. Redis
    has 16 databases (0-15): past 15 the count goes down instead (gw1 of /15 gets /14)."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    index = int(_WORKER[2:]) if _WORKER.startswith("gw") else 0
    if not index:
        return url
    base, _, number = url.rpartition("/")
    if not number.isdigit():
        return f"{url.rstrip('/')}/{index}"
    first = int(number)
    return f"{base}/{first + index if first + index <= 15 else first - index}"


def start_worker(name: str, log, **env) -> subprocess.Popen:
    """`celery -A app.worker worker` (solo pool, its own process group) with these settings
    on top of the test's environment; PUBLIC_BASE_URL and SMALLB_ENV as production needs."""
    settings = dict(os.environ, PUBLIC_BASE_URL="http://localhost", SMALLB_ENV="production")
    settings.pop("CELERY_VISIBILITY_TIMEOUT", None)
    settings.update({key: value for key, value in env.items() if value is not None})
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app.worker", "worker", "--pool=solo",
         "--loglevel=INFO", "-Q", "smallb", "-n", f"{name}@%h", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=settings, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_for(predicate, seconds: float, what: str) -> None:
    """Poll until predicate() is true, or fail saying what did not come."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def loopback_server(handler, path: str = "/hooks"):
    """An HTTP server of the test's own on a free loopback port (a shop, a hostile receiver),
    each request in its own thread; yields its URL."""
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        server.shutdown()
        server.server_close()
