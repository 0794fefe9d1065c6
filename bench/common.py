"""Helpers the benchmarks share: a gunicorn server under the production settings, percentiles."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class Server:
    """`gunicorn <argv> -c gunicorn.conf.py` on 127.0.0.1, up once `health` answers.

    argv[0] naming a module with "bare" in it runs from `home` (where the bare app's file is),
    anything else from the project's root. port: a given one, else any free one.
    """

    def __init__(self, argv: list[str], env: dict, home: Path, health: str,
                 port: int | None = None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}"}
        self.log = (home / f"gunicorn-{self.port}.log").open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", *argv, "-c",
                                         str(ROOT / "gunicorn.conf.py")], cwd=home if "bare" in argv[0] else ROOT,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + health, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers (405 on the baseline's POST-only route)
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start: {self.log.name}") from None
                time.sleep(0.3)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
