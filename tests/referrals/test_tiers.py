"""Tier rules, the compliance guard, evaluation, re-evaluation after events, recompute."""
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app import transactions
from app.transactions import unit_of_work
from app.accounts.models import User
from app.certificates.models import Certificate
from app.certificates.services import revoke
from app.extensions import db
from app.learning.models import Course
from app.referrals import services as tree
from app.referrals import tiers
from app.referrals.models import RulesVersion, TierChange, TreeNode
from app.referrals.rules import Facts, RulesError, evaluate_tier, parse_rules
from app.referrals.tasks import reevaluate_tier_task

DEFAULT = (Path(__file__).parents[2] / "app" / "referrals" / "tier_rules.yml").read_text()
CORE = ["group-building", "product-pitching", "customer-service", "rules-and-integrity"]


def test_default_rules_load():
    rules = parse_rules(DEFAULT)
    assert [t.key for t in rules.tiers] == ["trainee", "certified", "mentor", "senior-mentor"]
    assert rules.tier("certified").name == {"zh": "认证店主", "en": "Certified seller"}
    assert rules.course_unlocked_at("mentoring-newcomers").key == "certified"


@pytest.mark.parametrize("requirement, says", [
    ("downline: {count: 20}", "beyond direct mentees"),
    ("team_size: 50", "beyond direct mentees"),
    ("direct_mentees: {count: 3, min_tier: trainee}", "not sign-ups alone"),
    ("direct_mentees: {count: 3}", "not sign-ups alone"),
    ("direct_mentees: {count: 3, min_tier: certified, depth: 3}", "beyond direct mentees"),
    ("sign_ups: 10", "sign-ups alone"),
    ("entry_fee: 399", "fee"),
    ("purchase: {amount: 3000}", "purchase"),
    ("stock: 100", "purchase"),
    ("popularity: 5", "unknown requirement"),
])
def test_the_compliance_guard_refuses_pyramid_rules_with_the_reason(requirement, says):
    anchor = "      certificates: [group-building, product-pitching, customer-service, rules-and-integrity]\n"
    hostile = DEFAULT.replace(anchor, anchor + f"      {requirement}\n")
    assert hostile != DEFAULT
    with pytest.raises(RulesError) as caught:
        parse_rules(hostile)
    assert says in str(caught.value)
    if "unknown" not in says:
        assert "禁止传销条例" in str(caught.value)


def test_duplicate_keys_are_refused():
    doubled = DEFAULT.replace("      direct_mentees: {count: 3, min_tier: certified}\n",
                              "      direct_mentees: {count: 3, min_tier: certified}\n"
                              "      direct_mentees: {count: 1, min_tier: certified}\n")
    with pytest.raises(RulesError, match="duplicate"):
        parse_rules(doubled)


@pytest.mark.parametrize("source", ["", "tiers: []", "tiers: [1, 2]", "- a\n- b", "tiers: {a: 1}",
                                    "tiers:\n  - key: a\n    name: {zh: 甲, en: A}\n    requires: {certificates: [x]}\n"])
def test_malformed_rules_are_refused(source):
    with pytest.raises(RulesError):
        parse_rules(source)


def test_evaluation_is_cumulative_and_counts_only_trained_direct_mentees():
    rules = parse_rules(DEFAULT)
    core = frozenset(CORE)
    assert evaluate_tier(rules, Facts(frozenset())).key == "trainee"
    assert evaluate_tier(rules, Facts(core)).key == "certified"
    # Three mentees who only signed up (rank 0) count for nothing.
    assert evaluate_tier(rules, Facts(core | {"mentoring-newcomers"}, (0, 0, 0, 0, 0))).key == "certified"
    assert evaluate_tier(rules, Facts(core | {"mentoring-newcomers"}, (1, 1, 2))).key == "mentor"
    # Mentees without one's own certificates: still trainee (tiers build on each other).
    assert evaluate_tier(rules, Facts(frozenset(), (1,) * 20)).key == "trainee"
    senior = Facts(core | {"mentoring-newcomers"}, (1,) * 8 + (2, 2))
    assert evaluate_tier(rules, senior).key == "senior-mentor"
    assert evaluate_tier(rules, Facts(senior.certificates, (1,) * 9 + (2,))).key == "mentor"


@pytest.fixture
def people(app, imported):
    """A mentor with three mentees, every course slug of the default rules as a course."""
    with unit_of_work(app):
        for slug in CORE + ["mentoring-newcomers"]:
            db.session.add(Course(slug=slug, title={"en": slug}, grants_certificate=True))
        users = []
        for i in range(5):
            user = User(email=f"p{i}@example.com", display_name=f"P{i}", password_hash="-")
            db.session.add(user)
            db.session.flush()
            users.append(user.id)
        mentor = tree.place_user(db.session.get(User, users[0]), None)
        for uid in users[1:4]:
            tree.place_user(db.session.get(User, uid), mentor)
        db.session.commit()
    return users


def certify(user_id: int, slugs) -> None:
    import secrets

    for slug in slugs:
        course_id = db.session.scalar(select(Course.id).where(Course.slug == slug))
        db.session.add(Certificate(code=secrets.token_urlsafe(18), user_id=user_id, course_id=course_id,
                                   learner_name="x", course_title={"en": slug}))
    db.session.commit()


def tier_of(user_id: int) -> str:
    return db.session.get(TreeNode, user_id).tier


@pytest.mark.real_db  # tasks in units of their own, as a worker runs them
def test_events_raise_and_lower_tiers_up_the_chain(app, people):
    mentor, *mentees = people[:4]
    with unit_of_work(app):
        certify(mentor, CORE + ["mentoring-newcomers"])
        assert tiers.reevaluate(mentor, "test") == [mentor] and tier_of(mentor) == "certified"
        for mentee in mentees:
            certify(mentee, CORE)
            changed = reevaluate_tier_task.apply(args=(mentee, "certificate issued")).result
        assert changed == [mentees[-1], mentor]  # the third certified mentee makes a mentor
        assert tier_of(mentor) == "mentor"
        assert tiers.reevaluate(mentor, "again") == []  # idempotent
        # A revoked certificate lowers the mentee and, through them, the mentor.
        certificate = db.session.execute(select(Certificate).where(Certificate.user_id == mentees[0])).scalars().first()
        revoke(certificate, "fraud", None)
        transactions.commit()  # the admin's request ends: the re-evaluations it queued run
        assert tier_of(mentees[0]) == "trainee" and tier_of(mentor) == "certified"
        history = db.session.scalars(select(TierChange).where(TierChange.user_id == mentor)
                                     .order_by(TierChange.id)).all()
        assert [(h.from_tier, h.to_tier) for h in history] == [("trainee", "certified"),
                                                               ("certified", "mentor"),
                                                               ("mentor", "certified")]
        assert all(h.rules_version_id for h in history)


def test_a_hostile_rules_file_leaves_the_old_rules_in_force(app, people, tmp_path, caplog):
    path = tmp_path / "rules.yml"
    path.write_text(DEFAULT)
    app.config["TIER_RULES_PATH"] = str(path)
    tiers.reset_cache()
    with unit_of_work(app):
        good, version = tiers.active_rules()
        db.session.commit()
        path.write_text(DEFAULT.replace("count: 3, min_tier: certified", "count: 3, min_tier: trainee"))
        rules, in_force = tiers.active_rules()
        assert in_force.id == version.id and rules.digest == good.digest
        assert "refused" in caplog.text
        easier = DEFAULT.replace("count: 3, min_tier: certified", "count: 1, min_tier: certified")
        path.write_text(easier)
        rules, newer = tiers.active_rules()
        db.session.commit()
        assert newer.id != version.id
        assert db.session.scalar(select(func.count()).select_from(RulesVersion)) == 2
    tiers.reset_cache()


def test_recompute_everyone_after_a_rules_change(app, people, runner, tmp_path):
    mentor, first = people[0], people[1]
    with unit_of_work(app):
        certify(mentor, CORE + ["mentoring-newcomers"])
        certify(first, CORE)
    result = runner.invoke(args=["tiers", "recompute", "--batch-size", "2"])
    assert result.exit_code == 0 and "2 tier changes" in result.output
    path = tmp_path / "rules.yml"
    path.write_text(DEFAULT.replace("count: 3, min_tier: certified", "count: 1, min_tier: certified"))
    app.config["TIER_RULES_PATH"] = str(path)
    result = runner.invoke(args=["tiers", "recompute"])
    assert result.exit_code == 0 and "1 tier changes" in result.output
    with unit_of_work(app):
        assert tier_of(mentor) == "mentor"
    tiers.reset_cache()


def test_tiers_check_cli(runner, tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text(DEFAULT.replace("entry", "entry").replace("      certificates: [mentoring-newcomers]\n",
                                                              "      certificates: [mentoring-newcomers]\n      entry_fee: 99\n"))
    result = runner.invoke(args=["tiers", "check", str(path)])
    assert result.exit_code != 0 and "fee" in result.output


def test_my_tier_page_explains_progress(app, client, people, make_user):
    from tests.conftest import Auth

    with unit_of_work(app):
        db.session.get(User, people[0]).password_hash = db.session.get(
            User, make_user("login@example.com")).password_hash
        db.session.commit()
        certify(people[0], CORE + ["mentoring-newcomers"])
        certify(people[1], CORE)
        certify(people[2], CORE)
        for uid in people[:3]:
            tiers.reevaluate(uid, "test")
    Auth(client).login("p0@example.com")
    page = client.get("/tier", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "认证店主" in page and "导师" in page
    assert "3 位直属学员中已有 2 位" in page or "2 / 3" in page


def test_the_mentoring_course_opens_at_certified(app, client, people, learner):
    with unit_of_work(app):
        course = db.session.execute(select(Course).where(Course.slug == "mentoring-newcomers")).scalar_one()
        module = __import__("app.learning.models", fromlist=["Module"]).Module(course_id=course.id, slug="m", title={"en": "M"})
        db.session.add(module)
        db.session.commit()
    response = client.get("/courses/mentoring-newcomers")
    assert response.status_code == 403 and "认证店主" in response.get_data(as_text=True)
    assert "🔒" in client.get("/courses").get_data(as_text=True)


def test_my_tier_page_works_for_rules_without_terms(app, client, learner, tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text("tiers:\n  - key: trainee\n    name: {zh: 见习, en: Trainee}\n    requires: {}\n"
                    "    benefits: {commission: {zh: 基础, en: Base}}\n")
    app.config["TIER_RULES_PATH"] = str(path)
    assert client.get("/tier").status_code == 200
    tiers.reset_cache()


def test_tiers_check_warns_of_courses_nobody_can_earn_and_tiers_people_would_lose(
        app, runner, tmp_path, people):
    """A valid file can still be wrong for this portal: a renamed course makes a requirement
    nobody can meet, a renamed tier shows its holders at the lowest tier."""
    with unit_of_work(app):
        db.session.execute(update(TreeNode).where(TreeNode.user_id == people[0]).values(tier="certified"))
        db.session.commit()
    renamed = (DEFAULT.replace("group-building", "group-building-v2", 1)
               .replace("key: certified", "key: certified-seller")
               .replace("min_tier: certified}", "min_tier: certified-seller}"))
    path = tmp_path / "renamed.yml"
    path.write_text(renamed)
    result = runner.invoke(args=["tiers", "check", str(path)])
    assert "'group-building-v2', a course this portal does not have" in result.output
    assert "hold tier 'certified', which this file does not have" in result.output


def test_a_required_course_the_portal_lacks_reads_as_such_never_as_a_slug(app, client, people, make_user, tmp_path):
    from tests.conftest import Auth

    path = tmp_path / "rules.yml"
    path.write_text(DEFAULT.replace("group-building", "group-building-v2", 1))
    app.config["TIER_RULES_PATH"] = str(path)
    tiers.reset_cache()
    make_user("someone@example.com")
    Auth(client).login("someone@example.com")
    for url in ("/tier", "/certificates"):
        page = client.get(url).get_data(as_text=True)
        assert "group-building-v2" not in page and "暂未开设的课程" in page, url
    tiers.reset_cache()
