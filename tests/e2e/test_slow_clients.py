"""The documented production shape survives slow clients: deploy/nginx.conf in front of
gunicorn (sync workers on loopback). 200 connections that trickle their headers for 30 s
and /healthz through nginx still answers every time."""
from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import engines

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SLOW_CLIENTS = 200
SECONDS = 30

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(),
                                reason="nginx is not installed (Debian: apt-get install nginx-light)")


def _free_port() -> int:
    return engines.free_port()  # this worker's own block of ports


def start_nginx(tmp_path: Path, upstream: str):
    """nginx with the repository's config, its ports and paths pointed at this test."""
    port = _free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in (("listen 80;", f"listen 127.0.0.1:{port};"),
                     ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
                     ("root /etc/smallb;", f"root {ROOT / 'deploy'};"),
                     ("/var/log/nginx/smallb.access.log", str(tmp_path / "access.log"))):
        assert old in config, old
        config = config.replace(old, new)
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir()
    temp_paths = "".join(f" {name}_temp_path {tmp_path}/{name};" for name in (
        "client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    path = tmp_path / "nginx.conf"
    path.write_text(config.replace("http {", "http {" + temp_paths, 1))
    process = subprocess.Popen(
        [NGINX, "-c", str(path), "-g",
         f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; daemon off; user root;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    return process, base, port


@pytest.fixture
def nginx(server, tmp_path):
    process, base, port = start_nginx(tmp_path, server.base_url.rsplit(":", 1)[1])
    yield base, port
    process.terminate()
    process.wait(timeout=10)


def _fetch(url: str, data: bytes | None = None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_nginx_answers_its_own_errors_in_both_languages(nginx, tmp_path):
    base, _port = nginx
    status, headers, body = _fetch(base + "/login", data=b"x" * (30 * 1024 * 1024))
    assert status == 413 and "内容太大" in body and "Too large" in body and "nginx" not in body
    down, down_base, _ = start_nginx(tmp_path / "down", str(_free_port()))  # no gunicorn there
    try:
        status, headers, body = _fetch(down_base + "/courses")
        assert status == 502 and "暂时无法使用" in body and "Briefly unavailable" in body
        assert headers["Retry-After"] == "30" and "nginx" not in body
    finally:
        down.terminate()
        down.wait(timeout=10)


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
