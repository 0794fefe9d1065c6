"""A realistic mix for load testing: small-Bs reading lessons, autosaving and submitting quiz
answers, and opening their dashboards.

Serve the portal with gunicorn first (rate limits off: every simulated user comes from one
address), then run Locust headless, e.g. 50 users for 5 minutes:

    export DATABASE_URL=sqlite:////tmp/load.sqlite3 SECRET_KEY=load PUBLIC_BASE_URL=http://127.0.0.1:8000 RATELIMIT_ENABLED=false
    flask --app app db upgrade && flask --app app courses import
    gunicorn "app:create_app()" -c gunicorn.conf.py --bind 127.0.0.1:8000 2> /tmp/gunicorn.log &
    locust -f bench/locustfile.py --headless -u 50 -r 10 -t 5m --host http://127.0.0.1:8000 --csv /tmp/load
    grep -c "database is locked" /tmp/gunicorn.log     # expect 0

Locust prints requests/s and the p50/p95 per request type; failures include every 5xx.
"""
import itertools
import random
import re

from locust import HttpUser, between, task

COURSE = "rules-and-integrity"
_numbers = itertools.count(1)
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token(html: str) -> str:
    match = _TOKEN.search(html)
    return match.group(1) if match else ""


class SmallB(HttpUser):
    wait_time = between(1, 4)  # reading on a phone between taps

    def on_start(self):
        n = next(_numbers) + random.randrange(10**6) * 1000
        page = self.client.get("/register", name="/register").text
        self.client.post("/register", name="/register", data={
            "login": f"load{n}@example.com", "display_name": f"负载{n}",
            "password": "load-test-river-lantern-7", "language": "zh", "invite_code": "",
            "csrf_token": token(page)})
        course = self.client.get(f"/courses/{COURSE}", name="/courses/[slug]").text
        self.lessons = list(dict.fromkeys(re.findall(rf'href="/courses/{COURSE}/([a-z0-9-]+)"', course)))
        self.position = 0
        self.attempt = None

    @task(6)
    def read_lesson(self):
        if not self.lessons:
            return
        slug = self.lessons[self.position % len(self.lessons)]
        with self.client.get(f"/courses/{COURSE}/{slug}", name="/courses/[slug]/[lesson]",
                             catch_response=True) as page:
            if page.status_code == 403:  # a module not open yet: the learner reads on later
                page.success()
                self.position = 0
                return
        if page.status_code == 200 and "标记已读" in page.text:
            with self.client.post(f"/courses/{COURSE}/{slug}/read", name="/courses/[slug]/[lesson]/read",
                                  data={"csrf_token": token(page.text)}, allow_redirects=False,
                                  catch_response=True) as response:
                if response.status_code in (303, 403):  # 403: a module not open yet is fine
                    response.success()
                if response.status_code == 303 and "/quiz" in response.headers.get("Location", ""):
                    self.quiz_url = response.headers["Location"]
        self.position += 1

    @task(3)
    def quiz(self):
        url = getattr(self, "quiz_url", None)
        if not url:
            return
        if self.attempt is None:
            page = self.client.get(url, name="/courses/[slug]/[module]/quiz").text
            with self.client.post(url + "/start", name="/courses/[slug]/[module]/quiz/start",
                                  data={"csrf_token": token(page)}, allow_redirects=False,
                                  catch_response=True) as response:
                if response.status_code in (303, 409):
                    response.success()
                if response.status_code == 303:
                    self.attempt = response.headers["Location"]
            return
        page = self.client.get(self.attempt, name="/attempts/[id]")
        if "/result" in page.url:
            self.attempt, self.quiz_url = None, None
            return
        questions = re.findall(r'data-question="([a-z0-9-]+)"', page.text)
        for question in random.sample(questions, min(3, len(questions))):
            values = re.findall(rf'type="radio" name="q-{question}" value="([a-z])"', page.text)
            if not values:
                continue  # choice questions only: the mix needs autosaves, not every type
            self.client.post(self.attempt + "/answer", name="/attempts/[id]/answer",
                             data={"question_id": question, f"q-{question}": random.choice(values)},
                             headers={"X-CSRFToken": token(page.text), "Accept": "application/json"})
        if random.random() < 0.3:
            self.client.post(self.attempt + "/submit", name="/attempts/[id]/submit",
                             data={"csrf_token": token(page.text)})
            self.attempt = None

    @task(2)
    def dashboards(self):
        for url in ("/", "/courses", "/tier", "/mentor", "/certificates"):
            self.client.get(url, name=url)
