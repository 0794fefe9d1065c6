"""Who may play: a signed-in learner who can open the module; someone else's play is a 404.
Gating on an optional scenario (none) and on a required one; the personal-data export and
anonymisation of plays."""
from app.transactions import unit_of_work
from app.accounts import privacy as account_privacy
from app.accounts.models import User
from app.extensions import db
from app.practice.models import ScenarioPlay
from tests.conftest import csrf_token
from tests.practice.conftest import BAD, BEST, SCENARIO, Player

LOCKED_SCENARIO = "/courses/delta/second/roleplay/extra"


def test_signed_out_visitors_are_sent_to_sign_in(client, delta):
    response = client.get(SCENARIO)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/roleplays/1").status_code == 302


def test_another_learners_play_is_a_404(player, client, app, make_user, auth):
    play_id = player.start()
    auth.logout()
    make_user("other@example.com", locale="en")
    auth.login("other@example.com")
    assert client.get(f"/roleplays/{play_id}").status_code == 404
    token = csrf_token(client, SCENARIO)
    response = client.post(f"/roleplays/{play_id}/choose",
                           data={"csrf_token": token, "step": "0", "option": "0"})
    assert response.status_code == 404
    with unit_of_work(app):
        assert db.session.get(ScenarioPlay, play_id).step == 0  # nothing recorded for her


def test_unknown_scenarios_and_modules_are_404(player, client):
    assert client.get("/courses/delta/first/roleplay/nothing").status_code == 404
    assert client.get("/courses/delta/nowhere/roleplay/price").status_code == 404
    assert client.get("/courses/nope/first/roleplay/price").status_code == 404
    assert client.get("/roleplays/999999").status_code == 404


def test_a_scenario_of_a_locked_module_cannot_be_played(player, client, app):
    page = client.get(LOCKED_SCENARIO)
    assert page.status_code == 403
    assert "finish the module before it first" in page.get_data(as_text=True)
    token = csrf_token(client, SCENARIO)
    assert client.post(LOCKED_SCENARIO + "/start", data={"csrf_token": token}).status_code == 403
    with unit_of_work(app):
        assert db.session.query(ScenarioPlay).count() == 0


def test_gating_on_the_required_scenario(player, client):
    token = csrf_token(client, "/courses/delta")
    client.post("/courses/delta/read/read", data={"csrf_token": token})
    # Lesson read, required role-play not passed: the next module stays shut.
    assert client.get("/courses/delta/next").status_code == 403
    player.play(BAD)
    assert client.get("/courses/delta/next").status_code == 403
    player.play(BEST)
    assert client.get("/courses/delta/next").status_code == 200
    # The second module's scenario is optional: its course is complete without it.
    token = csrf_token(client, "/courses/delta")
    client.post("/courses/delta/next/read", data={"csrf_token": token})
    assert "Course completed" in client.get("/courses/delta").get_data(as_text=True)
    assert "optional practice" in client.get("/courses/delta").get_data(as_text=True)


def test_passing_the_last_requirement_finishes_the_course(player, client, app, delta_dir):
    from app.authoring.services import import_curriculum

    course_md = delta_dir / "course.md"
    course_md.write_text(course_md.read_text().replace("order: 9", "order: 9\ngating: open"))
    with unit_of_work(app):
        import_curriculum(delta_dir)
    for lesson in ("read", "next"):
        client.post(f"/courses/delta/{lesson}/read",
                    data={"csrf_token": csrf_token(client, "/courses/delta")})
    play_id = player.start()
    player.choose(play_id, BEST[0])
    response = player.choose(play_id, BEST[1], follow=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/certificates/course/delta")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "you have finished the course" in page


def test_export_and_anonymise(player, client, app, make_user):
    player.play(BAD)
    player.play(BEST)
    admin_id = make_user("admin@example.com", role="admin")
    with unit_of_work(app):
        user = db.session.query(User).filter_by(email="player@example.com").one()
        data = account_privacy.personal_data(user)
        plays = data["scenario_plays"]
        assert [(p["course"], p["module"], p["scenario"], p["number"], p["percent"], p["passed"],
                 p["ending"]) for p in plays] == [
            ("delta", "first", "price", 1, 0, False, "bad"),
            ("delta", "first", "price", 2, 86, True, "good")]
        assert plays[1]["choices"] == [{"node": "start", "option": 0},
                                       {"node": "checked", "option": 0}]
        assert plays[1]["scores"]["dimensions"]["honesty"] == {"earned": 4, "max": 4,
                                                               "percent": 100}
        account_privacy.anonymise(user, "request 12", str(user.id), db.session.get(User, admin_id))
        db.session.commit()
        kept = db.session.query(ScenarioPlay).filter_by(user_id=user.id).count()
        assert kept == 2  # totals do not change
        assert account_privacy.personal_data(user)["scenario_plays"][1]["percent"] == 86


def test_two_learners_play_apart(player, client, app, make_user, auth):
    player.play(BEST)
    auth.logout()
    make_user("second@example.com", locale="en")
    auth.login("second@example.com")
    other = Player(client)
    play_id = other.start()
    assert "Start the conversation" not in other.page(play_id)
    with unit_of_work(app):
        assert db.session.get(ScenarioPlay, play_id).number == 1


def test_the_locked_page_names_the_required_scenario(player, client):
    token = csrf_token(client, "/courses/delta")
    client.post("/courses/delta/read/read", data={"csrf_token": token})
    page = client.get("/courses/delta/next")
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert SCENARIO in text and "required to complete the module (pass mark 60%)" in text
