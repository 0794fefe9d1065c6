"""Role-play fixtures: the delta course (a required scenario in its first module) and a
learner who plays it through the pages like a phone would."""
import re
import shutil
from pathlib import Path

import pytest

from app.transactions import unit_of_work
from tests.conftest import csrf_token

DELTA = Path(__file__).parent / "fixtures" / "delta"
SCENARIO = "/courses/delta/first/roleplay/price"
# Replies by their visible text (English pages): worst, middle and best ways through.
BAD = ["Theirs are fakes."]
MIDDLE = ["Good question.", "Take your time; here is the unit price of both."]
BEST = ["Thanks for telling me. May I see the offer?",
        "Theirs has 36 pods, ours 52: per pod ours is cheaper."]


def delta_content() -> dict:
    """The delta scenario as stored (for tests that place it in another course)."""
    from app.authoring.curriculum import read_curriculum

    return read_curriculum(DELTA)[0].modules[0].scenarios[0]["content"]


@pytest.fixture
def delta_dir(tmp_path) -> Path:
    target = tmp_path / "courses" / "delta"
    shutil.copytree(DELTA, target)
    return target


@pytest.fixture
def delta(app, delta_dir):
    from app.authoring.services import import_curriculum

    with unit_of_work(app):
        import_curriculum(delta_dir)
    return delta_dir


class Player:
    def __init__(self, client):
        self.client = client

    def start(self) -> int:
        token = csrf_token(self.client, SCENARIO)
        response = self.client.post(SCENARIO + "/start", data={"csrf_token": token})
        assert response.status_code == 303, response.get_data(as_text=True)
        return int(re.search(r"/roleplays/(\d+)", response.headers["Location"]).group(1))

    def page(self, play_id: int) -> str:
        response = self.client.get(f"/roleplays/{play_id}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def form(self, play_id: int) -> tuple[str, str, dict[str, str]]:
        """(csrf token, step, {visible reply text: option value}) from the play page."""
        page = self.page(play_id)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        step = re.search(r'name="step" value="(\d+)"', page).group(1)
        options = {re.sub(r"\s+", " ", text).strip().replace("&#39;", "'"): value
                   for value, text in re.findall(
                       r'name="option" value="(\d+)">(.*?)</button>', page, re.DOTALL)}
        return token, step, options

    def choose(self, play_id: int, reply: str, follow: bool = True):
        token, step, options = self.form(play_id)
        return self.client.post(f"/roleplays/{play_id}/choose", data={
            "csrf_token": token, "step": step, "option": options[reply]},
            follow_redirects=follow)

    def play(self, replies: list[str]) -> int:
        play_id = self.start()
        for reply in replies:
            assert self.choose(play_id, reply).status_code == 200
        return play_id


@pytest.fixture
def player(client, delta, make_user, auth):
    make_user("player@example.com", locale="en")
    assert auth.login("player@example.com").status_code == 302
    return Player(client)
