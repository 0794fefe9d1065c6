"""The documented production shape survives slow clients: deploy/nginx.conf in front of
gunicorn (sync workers on loopback). 200 connections that trickle their headers for 30 s
and /healthz through nginx still answers every time."""
from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SLOW_CLIENTS = 200
SECONDS = 30

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(),
                                reason="nginx is not installed (Debian: apt-get install nginx-light)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx(server, tmp_path):
    """nginx with the repository's config, its ports and log paths pointed at this test."""
    port, upstream = _free_port(), server.base_url.rsplit(":", 1)[1]
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in (("listen 80;", f"listen 127.0.0.1:{port};"),
                     ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
                     ("/var/log/nginx/smallb.access.log", str(tmp_path / "access.log"))):
        assert old in config, old
        config = config.replace(old, new)
    path = tmp_path / "nginx.conf"
    path.write_text(config)
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir()
    globals_ = (f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; "
                f"daemon off; user root;")
    temp_paths = "".join(f" {name}_temp_path {tmp_path}/{folder};" for name, folder in (
        ("client_body", "client_body"), ("proxy", "proxy"), ("fastcgi", "fastcgi"),
        ("uwsgi", "uwsgi"), ("scgi", "scgi")))
    path.write_text(config.replace("http {", "http {" + temp_paths, 1))
    process = subprocess.Popen([NGINX, "-c", str(path), "-g", globals_],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    yield base, port
    process.terminate()
    process.wait(timeout=10)


def _trickle(port: int, stop: threading.Event, opened: list):
    """A slowloris client: a request line, then one header byte every few seconds; when cut
    off, it connects again, for as long as the test runs."""
    while not stop.is_set():
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            stop.wait(0.5)
            continue
        opened.append(1)
        try:
            sock.sendall(b"GET /courses HTTP/1.1\r\nHost: academy\r\n")
            while not stop.wait(3):
                sock.sendall(b"X")
        except OSError:
            pass  # nginx cut us off (client_header_timeout): what it is for
        finally:
            sock.close()


def test_two_hundred_slow_clients_do_not_stop_health_checks(nginx):
    base, port = nginx
    stop, opened = threading.Event(), []
    clients = [threading.Thread(target=_trickle, args=(port, stop, opened), daemon=True)
               for _ in range(SLOW_CLIENTS)]
    for client in clients:
        client.start()
    answers, started = [], time.monotonic()
    try:
        while time.monotonic() - started < SECONDS:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                    answers.append(response.status)
            except OSError as error:
                answers.append(repr(error))
            time.sleep(2)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=10)
    print(f"{len(opened)} slow connections opened; /healthz answers: {answers}")
    assert len(opened) >= SLOW_CLIENTS * 0.9
    assert len(answers) >= 10 and answers == [200] * len(answers)
