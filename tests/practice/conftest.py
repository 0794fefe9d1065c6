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


# --- Assignments ------------------------------------------------------------------------

@pytest.fixture
def epsilon(app, tmp_path):
    """The epsilon course (a required assignment in its first module), imported."""
    from app.authoring.services import import_curriculum
    from tests.practice.assignment_helpers import EPSILON

    target = tmp_path / "courses" / "epsilon"
    shutil.copytree(EPSILON, target)
    with unit_of_work(app):
        import_curriculum(target)
    return target


def set_tier(app, user_id: int, tier: str) -> None:
    from app.extensions import db
    from app.referrals.models import TreeNode
    from app.referrals.tiers import current_rules

    with unit_of_work(app):
        node = db.session.get(TreeNode, user_id)
        node.tier, node.tier_rank = tier, current_rules().rank(tier)
        db.session.commit()


@pytest.fixture
def crew(app, epsilon, make_user):
    """A mentee (English pages) under a mentor, a trainer granted epsilon, another trainer, an
    admin; each with a signed-in client. The mentor's tier reviews nothing yet."""
    from app.extensions import db
    from app.referrals import services as tree
    from tests.authoring.conftest import grant
    from tests.conftest import Auth

    ids = {}
    for role, account_role, name in (("mentee", "learner", "Lin"), ("mentor", "learner", "Wang"),
                                     ("trainer", "trainer", "Teacher Zhou"),
                                     ("other_trainer", "trainer", "Teacher Qian"),
                                     ("admin", "admin", "Admin Sun"),
                                     ("stranger", "learner", "Stranger")):
        ids[role] = make_user(f"{role}@example.com", role=account_role, name=name, locale="en")
    with unit_of_work(app):
        tree.reassign_mentor(ids["mentee"], ids["mentor"], "test crew", None)
        db.session.commit()
    grant(app, "epsilon", "trainer@example.com")
    clients = {}
    for role in ids:
        clients[role] = app.test_client()
        assert Auth(clients[role]).login(f"{role}@example.com").status_code == 302
    return ids, clients
