"""The paths every learner hits many times a day, next to a bare Flask app doing the same kind of work.

    python bench/hot_paths.py [--seconds 5] [--rounds 2] [--connections 32] [--threads 2]
                              [--workers 2] [--database URL] [--port 43100] [--only NAME,...]

Both servers run under the production settings file (`gunicorn -c gunicorn.conf.py`, sync
workers; --workers of them, 2 by default as in the issue's figures), side by side for the
whole run; the load goes to one at a time, in interleaved rounds (baseline, portal, then the
other way round in the next round), so the machine's mood hits both:

- the portal: SQLite in a temporary folder (the embedded default), or --database URL
  (PostgreSQL: an empty database, or one `flask demo generate` filled; the bench adds its own
  learners), set up with `flask db upgrade` and `flask courses import`; one learner signed in
  (her cookie and CSRF token), who has read the first module of a course and has an open
  attempt at its quiz; and --submitters more learners with an open attempt each, so every
  timed quiz submission grades a fresh attempt, and an open play of a role-play scenario
  each, so every timed scenario step records a fresh reply (both reopened between rounds);
- the baseline: a bare Flask app with a 20 KB Jinja template view (for pages) and `/hello`
  (for small POSTs).

The load: wrk (threads x connections, --latency; a Lua script for the POSTs with the cookie
and the CSRF token) when it is installed, otherwise a bounded Python client (one keep-alive
connection per thread, --connections threads); the first line says which. Queries per
request are counted in this process (SQLAlchemy's before_cursor_execute) around a test-client
request of the same learner and URL, after one warm-up request.

Printed per path: req/s, p50/p99, non-2xx/3xx answers, queries per request, the ratio to its
baseline, and the targets (issue 17) as met / NOT met.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import Server, percentile  # noqa: E402

USER_AGENT = "hot-paths-bench/1"
COURSE = "group-building"
# A scenario in the first module of its course (open to a new learner under sequential gating).
ROLEPLAY = ("rules-and-integrity", "honest-claims", "cures-colds")
LEARNER = "hot-learner@example.com"
PASSWORD = "amber-meadow-kite-52"

BARE_APP = '''
from flask import Flask, render_template_string

app = Flask(__name__)
ROWS = [{"title": "Lesson %d: where the first members come from" % i,
         "href": "/courses/c/lesson-%d" % i, "minutes": i % 9 + 1, "read": i % 3 == 0}
        for i in range(120)]
PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/assets/app.css"></head><body><header><nav>
<a href="/">Home</a> <a href="/courses">Courses</a></nav></header><main><h1>{{ title }}</h1>
<ol>{% for row in rows %}<li class="{{ 'read' if row.read else 'unread' }}">
<a href="{{ row.href }}">{{ row.title }}</a> <span>{{ row.minutes }} min</span></li>
{% endfor %}</ol></main><footer>SmallB</footer></body></html>"""


@app.get("/page")
def page():
    return render_template_string(PAGE, title="A 20 KB page", rows=ROWS)


@app.route("/hello", methods=["GET", "POST"])
def hello():
    return "hello"
'''

# Targets of issue 17: pages as a share of the template view, POSTs as a share of /hello.
PAGE_TARGET = {"sqlite": 0.60, "postgresql": 0.50}
AUTOSAVE_TARGET = 0.35
WRITE_TARGET = 0.25
PAGE_QUERIES = 4
AUTOSAVE_STATEMENTS = 3
STEP_STATEMENTS = 4  # the scenario step: a reply recorded in an open play

POST_LUA = '''
wrk.method = "POST"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = %(cookie)s
wrk.headers["User-Agent"] = %(agent)s
wrk.headers["Accept"] = "application/json"
'''

# Each wrk thread takes every n-th learner (its own slice) and submits each attempt once;
# past the end of its slice it starts again (a replay: the graded attempt comes back).
SUBMIT_LUA = '''
local people = {%(people)s}
local threads = {}
local counter = 1
function setup(thread)
  thread:set("id", counter)
  thread:set("count", %(threads)d)
  counter = counter + 1
end
function init(args)
  position = id
end
function request()
  local person = people[((position - 1) %% #people) + 1]
  position = position + count
  return wrk.format("POST", person[1], {["Cookie"] = person[2], ["User-Agent"] = %(agent)s,
    ["Content-Type"] = "application/x-www-form-urlencoded"}, person[3])
end
'''


@dataclass
class Path_:
    name: str
    kind: str  # page | autosave | step | write
    method: str
    path: str
    body: str = ""
    baseline: str = "/page"
    cookie: str = ""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string for these characters


def parse_wrk(output: str) -> dict:
    def seconds(value: str, unit: str) -> float:
        return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

    latency = {}
    for fraction, value, unit in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$",
                                            output, re.M):
        latency[fraction] = seconds(value, unit)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {"rate": rate, "p50": latency.get("50"), "p99": latency.get("99"), "n": total,
            "bad": int(bad.group(1)) if bad else 0, "socket": errors.group(1) if errors else ""}


def run_wrk(base: str, target: Path_, args, home: Path, people=None) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s",
               "--latency", "-H", f"User-Agent: {USER_AGENT}"]
    script = None
    if people is not None:
        script = home / "submit.lua"
        script.write_text(SUBMIT_LUA % {
            "people": ",\n".join("{%s, %s, %s}" % (lua_string(p), lua_string(c), lua_string(b))
                                 for p, c, b in people),
            "threads": args.threads, "agent": lua_string(USER_AGENT)})
    elif target.method == "POST":
        script = home / "post.lua"
        script.write_text(POST_LUA % {"body": lua_string(target.body),
                                      "cookie": lua_string(target.cookie),
                                      "agent": lua_string(USER_AGENT)})
    if script is not None:
        command += ["-s", str(script)]
    if target.cookie and people is None and target.method == "GET":
        command += ["-H", f"Cookie: {target.cookie}"]
    output = subprocess.run(command + [base + target.path], capture_output=True, text=True,
                            check=True).stdout
    return parse_wrk(output)


def run_python(base: str, target: Path_, args, home: Path, people=None) -> dict:
    """The bounded fallback: --connections threads, one keep-alive connection each."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    timings: list[float] = []
    bad = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + args.seconds
    queue = list(people or [])

    def worker(index: int):
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        mine, local_bad = [], 0
        position = index
        while time.perf_counter() < stop_at:
            method, path, body, cookie = target.method, target.path, target.body, target.cookie
            if queue:
                path, cookie, body = queue[position % len(queue)]
                position += args.connections
            headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
            if cookie:
                headers["Cookie"] = cookie
            if method == "POST":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body or None, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    local_bad += 1
            except (OSError, http.client.HTTPException):
                local_bad += 1
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=60)
            mine.append(time.perf_counter() - started)
        with lock:
            timings.extend(mine)
            bad[0] += local_bad

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"rate": len(timings) / elapsed, "p50": statistics.median(timings),
            "p99": percentile(timings, 0.99), "n": len(timings), "bad": bad[0], "socket": ""}


# Set-up, in this process ------------------------------------------------------------------

def portal_env(args, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL")}
    env.update(DATABASE_URL=args.database or f"sqlite:///{home / 'hot.sqlite3'}",
               SECRET_KEY="bench-secret-key", INSTANCE_PATH=str(home / "instance"),
               PUBLIC_BASE_URL="http://127.0.0.1", RATELIMIT_ENABLED="false",
               PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING", AUTO_SETUP="false",
               WEB_CONCURRENCY=str(args.workers))
    return env


def flask_command(env: dict, *command: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT, env=env,
                   check=True, capture_output=True)


def prepare(app, submitters: int) -> dict:
    """The signed-in learner (cookie, CSRF token, open attempt) and the submitters."""
    from flask_login.utils import _create_identifier
    from sqlalchemy import select

    from app.accounts import signins
    from app.accounts.models import User
    from app.accounts.services import create_account, find_user, parse_login_name
    from app.extensions import db
    from app.learning import services as learning
    from app.quizzes import services as quizzes

    with app.app_context():
        user = find_user(parse_login_name(LEARNER))
        if user is None:
            user = create_account(LEARNER, "小B 读者", PASSWORD, "zh", "learner")
            db.session.commit()  # services only flush: this set-up is the unit of work
        course = learning.find_course(COURSE)
        outline = learning.course_outline(course, user, "zh")
        first = outline.modules[0]
        for entry in first.lessons:
            learning.mark_read(user, entry.lesson, learning.course_outline(course, user, "zh"))
        db.session.commit()
        quiz = quizzes.quiz_for_module(first.module.id)
        attempt = quizzes.start_attempt(user, quiz)
        db.session.commit()
        question_id = attempt.layout["questions"][0]
        question = attempt.version.question(question_id)
        shown = quizzes.shown_ids(attempt, question)
        answer = next(iter(shown.values())) if shown else "yes"
        people = []
        existing = {u.email: u for u in db.session.scalars(
            select(User).where(User.email.like("hot-submit-%")))}
        for i in range(submitters):
            email = f"hot-submit-{i}@example.com"
            other = existing.get(email)
            if other is None:
                other = User(email=email, display_name=f"小B {i}", password_hash=user.password_hash,
                             role="learner", locale="zh")
                db.session.add(other)
                db.session.flush()
            people.append(other)
        db.session.commit()
        submit_attempts = [quizzes.start_attempt(other, quiz).id for other in people]
        db.session.commit()  # services only flush: this set-up is the unit of work
        from app.practice import services as practice

        scenario_course = learning.find_course(ROLEPLAY[0])
        scenario_module = next(m.module for m in learning.course_outline(
            scenario_course, user, "zh").modules if m.module.slug == ROLEPLAY[1])
        scenario = practice.find_scenario(scenario_module.id, ROLEPLAY[2])
        plays = [practice.start_play(other, scenario).id for other in people]
        db.session.commit()
        ids = {"user": user.id, "attempt": attempt.id, "question": question_id,
               "answer": answer, "quiz": quiz.id, "module": first.module.slug,
               "lesson": first.lessons[0].lesson.slug, "submitters": [p.id for p in people],
               "submit_attempts": submit_attempts, "plays": plays}

    def cookie_for(user_id: int) -> tuple[str, str]:
        client = app.test_client()
        with app.app_context():
            person = db.session.get(User, user_id)
            key = signins.start_session(person, USER_AGENT, "127.0.0.1")
            db.session.commit()
            with app.test_request_context(headers={"User-Agent": USER_AGENT},
                                          environ_base={"REMOTE_ADDR": "127.0.0.1"}):
                identifier = _create_identifier()
            person_id = person.get_id()
        with client.session_transaction() as session:
            session.update({"_user_id": person_id, "_fresh": True, "_id": identifier,
                            signins.SESSION_KEY: key, "_permanent": True})
        page = client.get("/courses", headers={"User-Agent": USER_AGENT},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        value = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        return f"{app.config['SESSION_COOKIE_NAME']}={value}", token

    ids["cookie"], ids["token"] = cookie_for(ids["user"])
    ids["people"], ids["players"] = [], []
    for person_id, attempt_id, play_id in zip(ids["submitters"], ids["submit_attempts"],
                                              ids["plays"]):
        cookie, token = cookie_for(person_id)
        ids["people"].append((f"/attempts/{attempt_id}/submit", cookie,
                              urllib.parse.urlencode({"csrf_token": token})))
        ids["players"].append((f"/roleplays/{play_id}/choose", cookie, urllib.parse.urlencode(
            {"csrf_token": token, "step": 0, "option": 0})))
    return ids


def reopen_plays(app, play_ids: list[int]) -> None:
    """Between rounds: the players' plays back at the start, no reply chosen."""
    from sqlalchemy import select, update

    from app.extensions import db
    from app.practice.models import ScenarioPlay, ScenarioVersion

    with app.app_context():
        starts = dict(db.session.execute(
            select(ScenarioPlay.id, ScenarioVersion.content).join(
                ScenarioVersion, ScenarioVersion.id == ScenarioPlay.version_id)
            .where(ScenarioPlay.id.in_(play_ids[:1]))).all())
        start = next(iter(starts.values()))["start"]
        db.session.execute(update(ScenarioPlay).where(ScenarioPlay.id.in_(play_ids)).values(
            state="open", step=0, node=start, path=[], scores=None, percent=None, passed=None,
            ending=None, finished_at=None))
        db.session.commit()


def reopen_submit_attempts(app, attempt_ids: list[int]) -> None:
    """Between rounds: the submitters' attempts open again, their answers gone."""
    from sqlalchemy import delete, update

    from app.extensions import db
    from app.quizzes.models import Attempt, AttemptAnswer

    with app.app_context():
        db.session.execute(delete(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(attempt_ids)))
        db.session.execute(update(Attempt).where(Attempt.id.in_(attempt_ids)).values(
            state="open", submitted_at=None, score=None, max_score=None, percent=None,
            passed=None, result=None))
        db.session.commit()


def count_queries(app, target: Path_, ids: dict) -> int:
    """Statements the portal sends for one request of this learner and URL (after a warm-up)."""
    from sqlalchemy import event

    from app.extensions import db

    client = app.test_client()
    name, _, value = target.cookie.partition("=")
    client.set_cookie(name, value)
    seen = []

    def request():
        kwargs = {"headers": {"User-Agent": USER_AGENT, "Accept": "application/json"},
                  "environ_base": {"REMOTE_ADDR": "127.0.0.1"}}
        if target.method == "POST":
            path, body = target.path, target.body
            if target.name in ("quiz submit", "scenario step"):
                path, _cookie, body = ids["people" if target.name == "quiz submit"
                                          else "players"][0]
                name2, _, value2 = _cookie.partition("=")
                client.set_cookie(name2, value2)
            return client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                               **kwargs)
        return client.get(target.path, **kwargs)

    def listen(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    request()
    if target.name == "quiz submit":
        reopen_submit_attempts(app, ids["submit_attempts"][:1])
    if target.name == "scenario step":
        reopen_plays(app, ids["plays"][:1])
    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = request()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    if target.name == "quiz submit":
        reopen_submit_attempts(app, ids["submit_attempts"][:1])
    if target.name == "scenario step":
        reopen_plays(app, ids["plays"][:1])
    expected = 200 if target.method == "GET" or target.kind == "autosave" else 303
    if response.status_code != expected:
        raise RuntimeError(f"{target.name}: {response.status_code} in process, not {expected}: "
                           f"{response.get_data(as_text=True)[:300]}")
    return len([s for s in seen if not s.lstrip().upper().startswith(("BEGIN", "COMMIT",
                                                                       "ROLLBACK", "PRAGMA",
                                                                       "SAVEPOINT", "RELEASE"))])


def targets(ids: dict) -> list[Path_]:
    answer = urllib.parse.urlencode({"csrf_token": ids["token"], "question_id": ids["question"],
                                     f"q-{ids['question']}": ids["answer"]})
    read = urllib.parse.urlencode({"csrf_token": ids["token"]})
    paths = [
        Path_("lesson page", "page", "GET", f"/courses/{COURSE}/{ids['lesson']}"),
        Path_("course page", "page", "GET", f"/courses/{COURSE}"),
        Path_("catalog", "page", "GET", "/courses"),
        Path_("home", "page", "GET", "/"),
        Path_("quiz attempt page", "page", "GET", f"/attempts/{ids['attempt']}"),
        Path_("answer autosave", "autosave", "POST", f"/attempts/{ids['attempt']}/answer",
              answer, "/hello"),
        Path_("quiz submit", "write", "POST", "/attempts/<id>/submit", "", "/hello"),
        Path_("scenario page", "page", "GET", "/courses/%s/%s/roleplay/%s" % ROLEPLAY),
        Path_("scenario step", "step", "POST", "/roleplays/<id>/choose", "", "/hello"),
        Path_("mark as read", "write", "POST", f"/courses/{COURSE}/{ids['lesson']}/read", read,
              "/hello"),
    ]
    for target in paths:
        target.cookie = ids["cookie"]
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers")
    parser.add_argument("--submitters", type=int, default=1500,
                        help="learners with an open attempt (one timed submission each)")
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temp folder)")
    parser.add_argument("--port", type=int, default=43100, help="the portal's; baseline +1")
    parser.add_argument("--only", help="comma-separated path names to run")
    parser.add_argument("--python-client", action="store_true", help="even when wrk is there")
    args = parser.parse_args()

    use_wrk = shutil.which("wrk") is not None and not args.python_client
    drive = run_wrk if use_wrk else run_python
    engine = "postgresql" if args.database else "sqlite"
    print(f"load generator: {'wrk' if use_wrk else 'bounded Python client (wrk not found)'}, "
          f"{args.threads} threads, {args.connections} connections, {args.seconds} s each")
    print(f"gunicorn: {args.workers} sync workers each (gunicorn.conf.py) on {os.cpu_count()} "
          f"cores; database: {engine}")
    print("load average at the start: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))

    home = Path(tempfile.mkdtemp(prefix="hot-paths-"))
    (home / "bare_pages.py").write_text(BARE_APP)
    env = portal_env(args, home)
    flask_command(env, "db", "upgrade")
    flask_command(env, "courses", "import")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH",
                                           "PUBLIC_BASE_URL", "RATELIMIT_ENABLED", "AUTO_SETUP")})
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    from app import create_app

    app = create_app()
    started = time.perf_counter()
    ids = prepare(app, args.submitters)
    print(f"set-up: learner {ids['user']}, attempt {ids['attempt']}, {len(ids['people'])} "
          f"submitters ({time.perf_counter() - started:.0f} s)")
    paths = targets(ids)
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        paths = [p for p in paths if p.name in wanted]
    queries = {p.name: count_queries(app, p, ids) for p in paths}
    reopen_submit_attempts(app, ids["submit_attempts"])
    reopen_plays(app, ids["plays"])

    portal = Server(["app:create_app()"], env, home, "/healthz/live", port=args.port)
    bare = Server(["bare_pages:app"], env, home, "/hello", port=args.port + 1)
    results: dict[str, dict[str, list]] = {p.name: {"portal": [], "baseline": []} for p in paths}
    try:
        for target in paths:  # warm-up, not timed: templates compiled, caches filled
            for _ in range(3):
                warm = Path_(target.name, target.kind, target.method, target.path, target.body)
                warm.cookie = target.cookie
                if target.name not in ("quiz submit", "scenario step"):
                    run_python(portal.base, warm, argparse.Namespace(seconds=0.2, connections=2),
                               home)
        for number in range(1, args.rounds + 1):
            order = ("baseline", "portal") if number % 2 else ("portal", "baseline")
            print(f"round {number} ({' then '.join(order)} for each path)")
            for target in paths:
                for kind in order:
                    if kind == "portal":
                        people = {"quiz submit": ids["people"],
                                  "scenario step": ids["players"]}.get(target.name)
                        figures = drive(portal.base, target, args, home, people)
                        if target.name == "quiz submit":
                            reopen_submit_attempts(app, ids["submit_attempts"])
                        if target.name == "scenario step":
                            reopen_plays(app, ids["plays"])
                    else:
                        base_target = Path_(target.name, target.kind,
                                            "POST" if target.baseline == "/hello" else "GET",
                                            target.baseline, "x=1" if target.method == "POST" else "")
                        base_target.cookie = ""
                        figures = drive(bare.base, base_target, args, home)
                    results[target.name][kind].append(figures)
                    print(f"  {target.name:18} {kind:8} {figures['rate']:8.0f} req/s  "
                          f"p50 {figures['p50'] * 1000:6.1f} ms  p99 {figures['p99'] * 1000:7.1f} ms"
                          f"  n={figures['n']}  bad={figures['bad']} {figures['socket']}")
    finally:
        portal.stop()
        bare.stop()

    print()
    print("| path | queries/request | portal req/s | p50 / p99 ms | baseline req/s | ratio | target |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    verdicts = []
    for target in paths:
        mine, base = results[target.name]["portal"], results[target.name]["baseline"]
        rates = [r["rate"] for r in mine]
        ratios = [m["rate"] / b["rate"] for m, b in zip(mine, base)]
        p50 = statistics.median(r["p50"] for r in mine)
        p99 = max(r["p99"] for r in mine)
        base_rates = [r["rate"] for r in base]
        ratio = statistics.median(ratios)
        if target.kind == "page":
            share, limit = PAGE_TARGET[engine], PAGE_QUERIES
            ok = ratio >= share and queries[target.name] <= limit and p99 <= 5 * p50
            goal = f">= {share:.0%}, <= {limit} queries, p99 <= 5 x p50"
        elif target.kind == "autosave":
            share = AUTOSAVE_TARGET
            ok = ratio >= share
            goal = f">= {share:.0%} of /hello"
        elif target.kind == "step":
            share, limit = AUTOSAVE_TARGET, STEP_STATEMENTS
            ok = ratio >= share and queries[target.name] <= limit
            goal = f">= {share:.0%} of /hello, <= {limit} statements"
        else:
            share = WRITE_TARGET
            ok = ratio >= share
            goal = f">= {share:.0%} of /hello"
        bad = sum(r["bad"] for r in mine)
        verdicts.append(ok and not bad)
        print(f"| {target.name} | {queries[target.name]} | {min(rates):.0f}–{max(rates):.0f} | "
              f"{p50 * 1000:.1f} / {p99 * 1000:.0f} | {min(base_rates):.0f}–{max(base_rates):.0f} "
              f"({target.baseline}) | {min(ratios):.0%}–{max(ratios):.0%} | {goal}: "
              f"{'met' if ok and not bad else 'NOT met'}{f' ({bad} errors)' if bad else ''} |")
    print()
    print("queries per request: counted in process for the same learner and URL; the autosave's "
          "transaction is checked by tests/quizzes/test_hot_path_queries.py")
    print("load average (1, 5, 15 min) at the end: " + " ".join(f"{v:.2f}" for v in os.getloadavg())
          + " (other work on the machine counts)")
    sys.exit(0 if all(verdicts) else 1)


if __name__ == "__main__":
    main()
