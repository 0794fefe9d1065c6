"""The mentor dashboard: direct mentees' training progress, where they are stuck, and the
reminder that fits each one's situation."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from ..accounts.models import User
from ..certificates.models import Certificate
from ..clock import utcnow
from ..extensions import db
from ..learning.models import Course, Enrolment, Lesson, LessonProgress, Module
from ..notifications.models import Notification
from ..notifications.services import notify
from ..practice import figures as roleplay_figures
from ..practice.profile import dimension_means, weakest
from ..quizzes import services as quizzes
from ..quizzes.models import Attempt, Quiz
from .errors import mentoring_errors
from .models import TreeNode
from .tiers import current_rules, facts_for

INACTIVE_AFTER = timedelta(days=7)
NUDGE_EVERY = timedelta(hours=24)
CONGRATULATE_WITHIN = timedelta(days=7)
SORTS = ("name", "progress", "activity")
# What a mentor can send, each with its own text for the mentee (notifications/index.html).
REMINDERS = ("encourage", "congratulate", "start", "keep_going")


@dataclass
class MenteeRow:
    user_id: int
    name: str
    tier: str
    joined_at: datetime
    last_activity: datetime | None = None
    courses: dict = field(default_factory=dict)  # course slug -> percent read
    completed: int = 0
    # failed_quiz_twice, cooldown, out_of_attempts, inactive, never_started, new
    stuck: list[str] = field(default_factory=list)
    # Whether she logs in with an email address (she resets her password herself then; the
    # address itself is not shown to the mentor).
    has_email: bool = False
    next_tier: object | None = None  # the tier above hers (rules.Tier)
    certificates_held: int = 0  # of those the next tier needs
    certificates_needed: int = 0
    course: Course | None = None  # the unfinished course she touched last
    module: Module | None = None  # the first module of it she has not done
    at_quiz: bool = False  # she has read the module and its quiz is what is left
    failed_quiz: Module | None = None  # a module whose quiz she failed and has not passed
    cooldown_until: datetime | None = None
    may_grant: bool = False  # she used every attempt and this mentor may give one more
    inactive_days: int = 0
    recent_certificate: dict | None = None  # course title of a certificate of the last week
    reminded_at: datetime | None = None  # the last reminder, when within NUDGE_EVERY
    reminder: str = "keep_going"
    # Role-plays: her best finished play per scenario, as a mean percent per rubric dimension
    # ({"id", "label" {language: text}, "percent", "plays"}), the weakest one's id, and how
    # many scenarios she finished and passed.
    roleplay: list = field(default_factory=list)
    roleplay_weakest: str | None = None
    roleplays_finished: int = 0
    roleplays_passed: int = 0

    @property
    def progress(self) -> int:
        return round(sum(self.courses.values()) / len(self.courses)) if self.courses else 0

    @property
    def course_percent(self) -> int:
        return self.courses.get(self.course.slug, 0) if self.course is not None else 0


def fitting_reminder(stuck: list[str], failed_quiz: bool, recent_certificate: bool) -> str:
    """The reminder a mentor's situation calls for: encouragement after a failed quiz first
    (that is where people give up), a congratulation after a fresh certificate, an
    invitation to start for someone who never did, else a friendly push."""
    if failed_quiz or {"failed_quiz_twice", "cooldown", "out_of_attempts"} & set(stuck):
        return "encourage"
    if recent_certificate:
        return "congratulate"
    if "never_started" in stuck or "new" in stuck:
        return "start"
    return "keep_going"


def mentee_rows(mentor_id: int, sort: str = "activity", page: int = 1, per_page: int = 50,
                now: datetime | None = None) -> tuple[list[MenteeRow], int]:
    """One page of direct mentees with training data only (no phone, no email)."""
    return _rows(mentor_id, sort, page, per_page, now)


def mentee_row(mentor_id: int, mentee_id: int, now: datetime | None = None) -> MenteeRow | None:
    rows, _total = _rows(mentor_id, "activity", 1, 1, now, only=mentee_id)
    return rows[0] if rows else None


def _rows(mentor_id: int, sort: str, page: int, per_page: int, now: datetime | None,
          only: int | None = None) -> tuple[list[MenteeRow], int]:
    now = now or utcnow()
    mine = TreeNode.mentor_id == mentor_id
    if only is not None:
        mine = and_(mine, TreeNode.user_id == only)
    total = db.session.scalar(select(func.count()).select_from(TreeNode).where(mine)) or 0
    last = (select(Enrolment.user_id, func.max(Enrolment.last_activity_at).label("at"))
            .group_by(Enrolment.user_id).subquery())
    progress = _progress_of(mine)
    order = {"name": User.display_name, "progress": func.coalesce(progress.c.percent, 0).desc(),
             "activity": func.coalesce(last.c.at, TreeNode.joined_at).desc()}[sort if sort in SORTS else "activity"]
    query = (select(TreeNode.user_id, User.display_name, TreeNode.tier, TreeNode.joined_at, last.c.at,
                    User.email.is_not(None))
             .join(User, User.id == TreeNode.user_id).outerjoin(last, last.c.user_id == TreeNode.user_id))
    if sort == "progress":  # ordered in the query, so page 2 holds the next ones, not others
        query = query.outerjoin(progress, progress.c.user_id == TreeNode.user_id)
    rows = db.session.execute(
        query.where(mine).order_by(order, TreeNode.user_id)
        .offset((page - 1) * per_page).limit(per_page)).all()
    mentees = {r[0]: MenteeRow(r[0], r[1], r[2], r[3], r[4], has_email=bool(r[5])) for r in rows}
    ids = list(mentees)
    if ids:
        _reading(mentees, ids)
        _toward_next_tier(mentees, ids)
        _where_she_is(mentees, ids)
        _quiz_trouble(mentees, ids, mentor_id, now)
        _roleplay_profiles(mentees, ids)
        for user_id, title in db.session.execute(
                select(Certificate.user_id, Certificate.course_title).where(
                    Certificate.user_id.in_(ids), Certificate.revoked_at.is_(None),
                    Certificate.issued_at > now - CONGRATULATE_WITHIN)
                .order_by(Certificate.issued_at)):
            mentees[user_id].recent_certificate = title  # the latest wins
        for user_id, at in db.session.execute(
                select(Notification.user_id, func.max(Notification.created_at)).where(
                    Notification.user_id.in_(ids), Notification.kind == "nudge",
                    Notification.created_at > now - NUDGE_EVERY).group_by(Notification.user_id)):
            mentees[user_id].reminded_at = at
    for row in mentees.values():
        if row.last_activity is None:
            row.stuck.append("never_started" if now - row.joined_at > timedelta(days=2) else "new")
        elif now - row.last_activity > INACTIVE_AFTER:
            row.stuck.append("inactive")
            row.inactive_days = (now - row.last_activity).days
        row.reminder = fitting_reminder(row.stuck, row.failed_quiz is not None,
                                        row.recent_certificate is not None)
    result = list(mentees.values())
    if sort == "progress":
        result.sort(key=lambda r: (-r.progress, r.user_id))
    return result, total


def _progress_of(mine):
    """Each of her mentees' mean percent read over the visible courses they have read in (as
    MenteeRow.progress works it out for a page), as a subquery to sort by."""
    visible = (select(Lesson.course_id, func.count(Lesson.id).label("lessons"))
               .join(Module, Module.id == Lesson.module_id).join(Course, Course.id == Lesson.course_id)
               .where(Course.hidden.is_(False), Lesson.hidden.is_(False), Module.hidden.is_(False))
               .group_by(Lesson.course_id).subquery())
    read = (select(LessonProgress.user_id, Lesson.course_id, func.count().label("read"))
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(Lesson.hidden.is_(False), LessonProgress.user_id.in_(select(TreeNode.user_id).where(mine)))
            .group_by(LessonProgress.user_id, Lesson.course_id).subquery())
    return (select(read.c.user_id, func.avg(100.0 * read.c.read / visible.c.lessons).label("percent"))
            .join(visible, visible.c.course_id == read.c.course_id)
            .group_by(read.c.user_id).subquery())


def _roleplay_profiles(mentees: dict[int, MenteeRow], ids: list[int]) -> None:
    """Each mentee's rubric profile over her best finished play of each scenario."""
    rows = roleplay_figures.best_scores_of(ids)
    contents = roleplay_figures.version_contents(version_id for _u, _s, version_id, _c in rows)
    labels, order = {}, []
    for content in contents.values():
        for dimension in content["dimensions"]:
            if dimension["id"] not in labels:
                labels[dimension["id"]] = dimension["label"]
                order.append(dimension["id"])
    per_user: dict[int, list[dict]] = {}
    for user_id, _scenario_id, _version_id, scores in rows:
        per_user.setdefault(user_id, []).append(scores or {})
    for user_id, scores in per_user.items():
        means = dimension_means(scores, order)
        row = mentees[user_id]
        row.roleplay = [{"id": f.id, "label": labels.get(f.id, {"en": f.id}),
                         "percent": None if f.mean_percent is None else round(f.mean_percent),
                         "plays": f.plays} for f in means]
        row.roleplay_weakest = weakest(means)
        row.roleplays_finished = len(scores)
        row.roleplays_passed = sum(1 for s in scores if s.get("passed"))


def _reading(mentees: dict[int, MenteeRow], ids: list[int]) -> None:
    totals = dict(db.session.execute(
        select(Course.slug, func.count(Lesson.id)).join(Lesson, Lesson.course_id == Course.id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Course.hidden.is_(False), Lesson.hidden.is_(False), Module.hidden.is_(False))
        .group_by(Course.slug)).all())
    for user_id, slug, read in db.session.execute(
            select(LessonProgress.user_id, Course.slug, func.count())
            .join(Lesson, Lesson.id == LessonProgress.lesson_id).join(Course, Course.id == Lesson.course_id)
            .where(LessonProgress.user_id.in_(ids), Lesson.hidden.is_(False))
            .group_by(LessonProgress.user_id, Course.slug)):
        if totals.get(slug):
            mentees[user_id].courses[slug] = round(100 * read / totals[slug])
    for user_id, done in db.session.execute(
            select(Enrolment.user_id, func.count()).where(Enrolment.user_id.in_(ids),
                                                           Enrolment.completed_at.is_not(None))
            .group_by(Enrolment.user_id)):
        mentees[user_id].completed = done


def _toward_next_tier(mentees: dict[int, MenteeRow], ids: list[int]) -> None:
    """Her own certificates against those the tier above hers needs (two queries)."""
    rules = current_rules()
    facts = facts_for(ids)
    for user_id, row in mentees.items():
        rank = rules.tier(row.tier).rank
        following = rules.tiers[rank + 1] if rank + 1 < len(rules.tiers) else None
        row.next_tier = following
        if following is not None:
            row.certificates_needed = len(following.certificates)
            row.certificates_held = len(set(following.certificates) & facts[user_id].certificates)


def _where_she_is(mentees: dict[int, MenteeRow], ids: list[int]) -> None:
    """The unfinished course she touched last, and its first module she has not done: four
    queries for the whole page."""
    current: dict[int, int] = {}
    for user_id, course_id, _at in db.session.execute(
            select(Enrolment.user_id, Enrolment.course_id, Enrolment.last_activity_at)
            .join(Course, Course.id == Enrolment.course_id)
            .where(Enrolment.user_id.in_(ids), Enrolment.completed_at.is_(None),
                   Course.hidden.is_(False))
            # Never-active first on both engines (SQLite sorts NULL first, PostgreSQL last),
            # then by time, so the latest activity wins; ties by enrolment, the same everywhere.
            .order_by(Enrolment.last_activity_at.asc().nulls_first(), Enrolment.id)):
        current[user_id] = course_id
    if not current:
        return
    course_ids = set(current.values())
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))}
    modules: dict[int, list[Module]] = {}
    lessons: dict[int, int] = {}
    for module, count in db.session.execute(
            select(Module, func.count(Lesson.id)).join(Lesson, Lesson.module_id == Module.id)
            .where(Module.course_id.in_(course_ids), Module.hidden.is_(False),
                   Lesson.hidden.is_(False))
            .group_by(Module.id).order_by(Module.position, Module.slug)):
        modules.setdefault(module.course_id, []).append(module)
        lessons[module.id] = count
    read = {(u, m): n for u, m, n in db.session.execute(
        select(LessonProgress.user_id, Lesson.module_id, func.count())
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id.in_(current), Lesson.course_id.in_(course_ids),
               Lesson.hidden.is_(False))
        .group_by(LessonProgress.user_id, Lesson.module_id))}
    quiz_of = dict(db.session.execute(select(Quiz.module_id, Quiz.id).where(
        Quiz.module_id.in_(lessons), Quiz.hidden.is_(False))).all())
    passed = set(db.session.execute(select(Attempt.user_id, Attempt.quiz_id).where(
        Attempt.user_id.in_(current), Attempt.quiz_id.in_(list(quiz_of.values())),
        Attempt.passed.is_(True)).distinct()).all())
    for user_id, course_id in current.items():
        row = mentees[user_id]
        row.course = courses[course_id]
        for module in modules.get(course_id, []):
            all_read = read.get((user_id, module.id), 0) >= lessons[module.id]
            quiz = quiz_of.get(module.id)
            if not all_read or (quiz is not None and (user_id, quiz) not in passed):
                row.module, row.at_quiz = module, all_read
                break


def _quiz_trouble(mentees: dict[int, MenteeRow], ids: list[int], mentor_id: int,
                  now: datetime) -> None:
    """Quizzes failed and not passed since: twice or more, waiting out a cooldown, or every
    attempt used (then whether this mentor may give another). Only those quizzes are looked
    at closely."""
    failed = db.session.execute(
        select(Attempt.user_id, Attempt.quiz_id, func.count()).where(
            Attempt.user_id.in_(ids), Attempt.state == "graded", Attempt.passed.is_(False))
        .group_by(Attempt.user_id, Attempt.quiz_id)).all()
    passed_pairs = set(db.session.execute(select(Attempt.user_id, Attempt.quiz_id).where(
        Attempt.user_id.in_(ids), Attempt.passed.is_(True)).distinct()).all())
    failed = [(u, q, n) for u, q, n in failed if (u, q) not in passed_pairs]
    if not failed:
        return
    mentor = db.session.get(User, mentor_id)
    learners = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({u for u, _q, _n in failed})))}
    modules = dict(db.session.execute(select(Quiz.id, Module).join(Module, Module.id == Quiz.module_id)
                                      .where(Quiz.id.in_({q for _u, q, _n in failed}))).all())
    for user_id, quiz_id, failures in failed:
        row, quiz = mentees[user_id], quizzes.quiz_by_id(quiz_id)
        if quiz is None or quiz.hidden or quiz.current_version is None:
            continue
        row.failed_quiz = row.failed_quiz or modules[quiz_id]
        if failures >= 2 and "failed_quiz_twice" not in row.stuck:
            row.stuck.append("failed_quiz_twice")
        learner = learners[user_id]
        status = quizzes.quiz_status(learner, quiz, now)
        if status.attempts_left == 0:
            if "out_of_attempts" not in row.stuck:
                row.stuck.append("out_of_attempts")
            row.may_grant = row.may_grant or (
                quizzes.may_grant(mentor, learner, quiz)
                and not quizzes.grants_used_up(mentor, learner, quiz))
        elif status.next_start_at is not None:
            if "cooldown" not in row.stuck:
                row.stuck.append("cooldown")
            row.cooldown_until = min(filter(None, (row.cooldown_until, status.next_start_at)))


def nudge(mentor: User, mentee_id: int, reminder: str | None = None,
          now: datetime | None = None) -> str:
    """A reminder from a mentor to one of her own direct mentees, at most one a day, and
    only the one her situation calls for now (the page may be older than the situation;
    None: whichever fits). Returns the reminder sent."""
    now = now or utcnow()
    if reminder is not None and reminder not in REMINDERS:
        raise mentoring_errors("unknown_reminder")
    # The mentee's row locked until the request commits: two reminders sent at once queue here, so the
    # second sees the first (PostgreSQL; SQLite's write lock does the same).
    node = db.session.execute(select(TreeNode).where(TreeNode.user_id == mentee_id)
                              .with_for_update()).scalar_one_or_none()
    if node is None or node.mentor_id != mentor.id:
        raise mentoring_errors("not_your_mentee")
    recent = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == mentee_id, Notification.kind == "nudge",
        Notification.created_at > now - NUDGE_EVERY))
    if recent:
        raise mentoring_errors("too_soon")
    row = mentee_row(mentor.id, mentee_id, now)
    if row is None or (reminder is not None and row.reminder != reminder):
        raise mentoring_errors("situation_changed")
    reminder = row.reminder
    payload = {"mentor": mentor.display_name, "reminder": reminder}
    if reminder == "congratulate":
        payload["course_title"] = row.recent_certificate
    elif reminder == "encourage" and row.failed_quiz is not None:
        payload["course_title"] = row.failed_quiz.course.title
    elif row.course is not None:
        payload["course_title"] = row.course.title
    notify(mentee_id, "nudge", **payload)
    return reminder
