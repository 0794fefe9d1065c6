"""The CSV export streams: memory stays flat when the ledger grows tenfold."""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from sqlalchemy import insert

from app.extensions import db
from tests.ledger.conftest import T0

N = 2_000


def _add_attempts(world, user_id: int, first: int, count: int) -> None:
    from datetime import timedelta

    from app.quizzes.models import Attempt

    quiz_id, version_id = world.quiz["gamma/start"]
    db.session.execute(insert(Attempt), [
        {"user_id": user_id, "quiz_id": quiz_id, "version_id": version_id, "number": n,
         "state": "graded", "layout": {}, "started_at": T0, "submitted_at": T0 + timedelta(seconds=n),
         "score": 3, "max_score": 6, "percent": 50.0, "passed": False}
        for n in range(first, first + count)])


def _export_peak(client) -> tuple[int, int]:
    """Rows received and the peak of memory allocated while streaming them."""
    gc.collect()
    tracemalloc.start()
    try:
        response = client.get("/admin/ledger.csv?kind=quiz", buffered=False)
        try:
            assert response.status_code == 200
            lines = sum(chunk.count(b"\n") for chunk in response.response)
        finally:
            response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines - 1, peak


@pytest.mark.slow
def test_export_memory_stays_flat_as_rows_grow(admin_client, world):
    learner = world.person("长跑学员")
    _add_attempts(world, learner, 1, N)
    world.done()
    _export_peak(admin_client)  # warm up: compiled statements, templates, translations

    small_rows, small_peak = _export_peak(admin_client)
    with world_context(admin_client.application):
        _add_attempts(world, learner, N + 1, 9 * N)
        db.session.commit()
    large_rows, large_peak = _export_peak(admin_client)

    assert (small_rows, large_rows) == (N, 10 * N)
    print(f"peak while streaming: {small_rows} rows {small_peak / 1024:.0f} KiB, "
          f"{large_rows} rows {large_peak / 1024:.0f} KiB")
    # Loading the rows would make the peak ~10x; streaming keeps it within noise.
    assert large_peak < 1.5 * small_peak + 256 * 1024


def world_context(app):
    return app.app_context()


@pytest.mark.real_db  # a writer thread on its own connection
def test_a_streaming_export_does_not_block_writers(app, admin_client, world, make_user):
    """The export holds a read transaction only: another request can write while it streams
    (in its own thread, as a server would run it; SQLite would make it wait 30 s otherwise)."""
    import threading

    from tests.conftest import Auth, csrf_token

    learner = world.person("读者")
    _add_attempts(world, learner, 1, 3000)
    world.done()
    other = make_user("other@example.com")
    make_user("admin2@example.com", role="admin")
    admin2 = app.test_client()
    Auth(admin2).login("admin2@example.com")
    token = csrf_token(admin2, "/admin/users")

    response = admin_client.get("/admin/ledger.csv?kind=quiz", buffered=False)
    try:  # a response left open would end its request context in some later test
        chunks = iter(response.response)
        received = next(chunks) + next(chunks)  # the header, then rows: the cursor is open
        assert received.count(b"\n") > 1
        outcome = {}

        def write():
            outcome["status"] = admin2.post(f"/admin/users/{other}/role", data={
                "role": "trainer", "reason": "during an export", "csrf_token": token}).status_code

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=40)
        assert outcome.get("status") == 303
        received += b"".join(chunks)
    finally:
        response.close()
    assert received.count(b"\n") == 3000 + 1
