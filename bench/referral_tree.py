"""The mentor tree at scale: each query on the materialized path next to a recursive-CTE
baseline on the same data, in the same run.

    python bench/referral_tree.py --users 1000000 --database postgresql://postgres@127.0.0.1:5432/smallb_bench
    python bench/referral_tree.py --users 1000000 --database sqlite:////tmp/smallb_bench.sqlite3
    ... --recompute    also time `flask tiers recompute` over everyone

The tree grows by preferential attachment (a newcomer joins a mentor with probability
proportional to that mentor's mentees + 1), capped at depth 15: most people have no mentees,
a few have thousands. The database is created from the app's own models (it is wiped).
"""
from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

def grow(n: int, seed: int = 7):
    """The demo generator's skewed tree, shifted so that index = user id (1 is the first small-B)."""
    from app.demo.generate import grow_tree

    parent, depth = grow_tree(n, random.Random(seed))
    return [0] + [p + 1 if p >= 0 else 0 for p in parent], [0] + depth


def paths(parent, depth):
    path = [""] * len(parent)
    path[1] = "/1/"
    for uid in range(2, len(parent)):
        path[uid] = f"{path[parent[uid]]}{uid}/"
    return path


def load(url: str, n: int):
    import os

    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", SMALLB_ENV="production",
                      PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1"))
    from app import create_app
    from app.extensions import db

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    if engine.dialect.name == "postgresql":
        admin = create_engine(make_url(str(engine.url)).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = engine.url.database
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    else:
        Path(engine.url.database).unlink(missing_ok=True)
    app = create_app()
    with app.app_context():
        db.create_all()
    started = time.perf_counter()
    parent, depth = grow(n)
    path = paths(parent, depth)
    ranks = [0] + [1 if random.Random(uid).random() < 0.3 else 0 for uid in range(1, n + 1)]
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        with raw.cursor() as cur:
            with cur.copy("COPY users (id, email, display_name, password_hash, role, locale, active, session_version, created_at) FROM STDIN") as copy:
                for uid in range(1, n + 1):
                    copy.write_row((uid, f"u{uid}@bench.example.com", f"U{uid}", "-", "learner", "zh", True, 1, "2026-01-01"))
            with cur.copy("COPY tree_nodes (user_id, mentor_id, path, depth, invite_code, joined_at, tier, tier_rank) FROM STDIN") as copy:
                for uid in range(1, n + 1):
                    copy.write_row((uid, parent[uid] or None, path[uid], depth[uid], f"B{uid:09d}", "2026-01-01",
                                    "certified" if ranks[uid] else "trainee", ranks[uid]))
            cur.execute("SELECT setval('users_id_seq', %s)", (n,))
        raw.commit()
        raw.close()
        # What autovacuum does on a live system: statistics and the visibility map (which
        # lets the subtree count be an index-only scan).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            conn.exec_driver_sql(
                "INSERT INTO users (id, email, display_name, password_hash, role, locale, active, session_version, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                [(uid, f"u{uid}@bench.example.com", f"U{uid}", "-", "learner", "zh", 1, 1, "2026-01-01") for uid in range(1, n + 1)])
            conn.exec_driver_sql(
                "INSERT INTO tree_nodes (user_id, mentor_id, path, depth, invite_code, joined_at, tier, tier_rank) VALUES (?,?,?,?,?,?,?,?)",
                [(uid, parent[uid] or None, path[uid], depth[uid], f"B{uid:09d}", "2026-01-01",
                  "certified" if ranks[uid] else "trainee", ranks[uid]) for uid in range(1, n + 1)])
            conn.exec_driver_sql("ANALYZE")
    print(f"generated and loaded {n:,} people in {time.perf_counter() - started:.1f} s "
          f"(max depth {max(depth)}, mentors {len(set(parent[2:])):,})")
    return engine, app, parent, depth, path


def subtree_sizes(parent):
    size = [1] * len(parent)
    for uid in range(len(parent) - 1, 1, -1):
        size[parent[uid]] += size[uid]
    return size


def timed(conn, sql, params, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = conn.execute(text(sql), params).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--database", default="sqlite:////tmp/smallb_bench.sqlite3")
    parser.add_argument("--recompute", action="store_true")
    args = parser.parse_args()
    engine, app, parent, depth, path = load(args.database, args.users)
    size = subtree_sizes(parent)
    children = {}
    for uid in range(2, len(parent)):
        children[parent[uid]] = children.get(parent[uid], 0) + 1
    biggest = max(children, key=children.get)
    near_50k = min(range(2, len(parent)), key=lambda u: abs(size[u] - 50_000))
    deep = max(range(1, len(parent)), key=lambda u: depth[u])

    def bounds(uid):
        return path[uid], path[uid][:-1] + "0"

    cte_down = ("WITH RECURSIVE sub(id) AS (SELECT user_id FROM tree_nodes WHERE mentor_id = :id "
                "UNION ALL SELECT t.user_id FROM tree_nodes t JOIN sub ON t.mentor_id = sub.id) "
                "SELECT count(*) FROM sub")
    cte_up = ("WITH RECURSIVE up(id, mentor) AS (SELECT user_id, mentor_id FROM tree_nodes WHERE user_id = :id "
              "UNION ALL SELECT t.user_id, t.mentor_id FROM tree_nodes t JOIN up ON t.user_id = up.mentor) "
              "SELECT id FROM up")
    rows = []
    with engine.connect() as conn:
        ms, _ = timed(conn, "SELECT user_id, tier FROM tree_nodes WHERE mentor_id = :id ORDER BY user_id LIMIT 50",
                      {"id": biggest})
        base, _ = timed(conn, "SELECT t.user_id, t.tier FROM tree_nodes t WHERE t.mentor_id = :id "
                              "ORDER BY t.user_id LIMIT 50 OFFSET 0", {"id": biggest})
        rows.append((f"direct mentees, first page of {children[biggest]:,}", ms, base, 20))
        ids = [int(x) for x in path[deep].strip("/").split("/")][:-1]
        ms, _ = timed(conn, f"SELECT user_id FROM tree_nodes WHERE user_id IN ({','.join(map(str, ids))})", {})
        base, _ = timed(conn, cte_up, {"id": deep})
        rows.append((f"ancestors of a depth-{depth[deep]} node", ms, base, 10))
        low, high = bounds(near_50k)
        ms, got = timed(conn, "SELECT count(*) FROM tree_nodes WHERE path > :lo AND path < :hi", {"lo": low, "hi": high})
        base, expect = timed(conn, cte_down, {"id": near_50k}, repeat=3)
        assert got[0][0] == expect[0][0] == size[near_50k] - 1
        rows.append((f"subtree size, {size[near_50k] - 1:,} descendants", ms, base, 20))
        low, high = bounds(1)
        ms, got = timed(conn, "SELECT count(*) FROM tree_nodes WHERE path > :lo AND path < :hi", {"lo": low, "hi": high})
        base, expect = timed(conn, cte_down, {"id": 1}, repeat=1)
        assert got[0][0] == expect[0][0] == len(parent) - 2
        rows.append(("subtree size, the whole tree", ms, base, 200))
        ms, _ = timed(conn, "SELECT mentor_id, count(*) FROM tree_nodes WHERE tier_rank >= 1 "
                            "AND mentor_id IS NOT NULL GROUP BY mentor_id", {}, repeat=3)
        base, _ = timed(conn, "SELECT t.mentor_id, count(*) FROM tree_nodes t JOIN tree_nodes m "
                              "ON m.user_id = t.mentor_id WHERE t.tier_rank >= 1 GROUP BY t.mentor_id", {}, repeat=3)
        rows.append(("qualifying direct mentees, every mentor", ms, base, 1000))
    print(f"\n{engine.dialect.name}, {args.users:,} people")
    print(f"{'query':45} {'ours ms':>9} {'baseline ms':>12} {'ratio':>7} {'target':>8}")
    for name, ms, base, target in rows:
        flag = "ok" if ms < target else "MISSED"
        print(f"{name:45} {ms:9.2f} {base:12.2f} {base / ms:6.1f}x {('<' + str(target)):>7} {flag}")
    if args.recompute:
        from app.referrals import tiers

        with app.app_context():
            start = time.perf_counter()
            changes = tiers.recompute_all(batch_size=5000)
            print(f"\nflask tiers recompute: {args.users:,} people in {time.perf_counter() - start:.1f} s "
                  f"({changes:,} changes; target < 60 s)")


if __name__ == "__main__":
    main()
