"""What comes next for a learner: each tier's requirements with her standing, the tier in
reach, and the course to take next (rules first as pure functions, then the queries)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..certificates import hooks as certificates_hooks
from ..clock import utcnow
from ..certificates.models import Certificate
from ..extensions import db
from ..learning import services as learning
from ..learning.models import Course, Enrolment
from .rules import Facts, Rules, Tier
from .services import shown_node
from .tiers import course_locked_for, current_rules, facts_for


@dataclass(frozen=True)
class CourseState:
    """One visible course as the next-step rules see it."""

    slug: str
    position: int
    grants_certificate: bool
    completed: bool = False
    started: bool = False
    locked: bool = False  # opens only at a tier she has not reached


@dataclass
class CertificateLine:
    slug: str
    course: Course | None  # None: the rules name a course that is not (or no longer) shown
    held: bool
    on_its_way: bool = False  # course completed, certificate not issued yet


@dataclass
class MenteeLine:
    count: int
    min_tier: Tier
    have: int

    @property
    def met(self) -> bool:
        return self.have >= self.count


@dataclass
class TierPlan:
    """A tier's requirements, each with where she stands."""

    tier: Tier
    certificates: list[CertificateLine] = field(default_factory=list)
    mentees: list[MenteeLine] = field(default_factory=list)
    reached: bool = False

    @property
    def held(self) -> int:
        return sum(line.held for line in self.certificates)

    @property
    def on_its_way(self) -> int:
        return sum(line.on_its_way for line in self.certificates)

    @property
    def missing(self) -> list[CertificateLine]:
        return [line for line in self.certificates if not line.held and not line.on_its_way]


@dataclass
class NextStep:
    current: Tier
    following: TierPlan | None  # None at the top tier
    plans: list[TierPlan]  # every tier, in order
    next_course: Course | None
    next_course_started: bool = False


def mentees_at_or_above(rules: Rules, facts: Facts, tier_key: str) -> int:
    rank = rules.rank(tier_key)
    return sum(1 for r in facts.mentee_ranks if r >= rank)


def choose_next_course(following: Tier | None, facts: Facts, courses: list[CourseState],
                       just_finished: str | None = None) -> str | None:
    """The course to take next: a course the next tier still needs (one she has started
    first, then in catalog order); else the first unfinished certificate course open to her;
    else any unfinished open course. Never the one she just finished, never a locked one."""
    open_ = sorted((c for c in courses if not c.completed and not c.locked
                    and c.slug != just_finished), key=lambda c: (c.position, c.slug))
    needed = set(following.certificates if following else ()) - facts.certificates
    for candidates in ([c for c in open_ if c.slug in needed and c.started],
                       [c for c in open_ if c.slug in needed],
                       [c for c in open_ if c.grants_certificate], open_):
        if candidates:
            return candidates[0].slug
    return None


def plan_tiers(rules: Rules, current: Tier, facts: Facts, pending: frozenset[str] = frozenset(),
               courses: dict[str, Course] | None = None) -> list[TierPlan]:
    """Every tier with each requirement and her standing. `pending`: courses she completed
    whose certificate is on its way (shown as such; they do not count until issued)."""
    courses = courses or {}
    plans = []
    for tier in rules.tiers:
        plan = TierPlan(tier, reached=tier.rank <= current.rank)
        for slug in tier.certificates:
            held = slug in facts.certificates
            plan.certificates.append(CertificateLine(slug, courses.get(slug), held,
                                                     on_its_way=not held and slug in pending))
        for need in tier.mentees:
            plan.mentees.append(MenteeLine(need.count, rules.tier(need.min_tier),
                                           mentees_at_or_above(rules, facts, need.min_tier)))
        plans.append(plan)
    return plans


# Queries ---------------------------------------------------------------------------------

def _course_states(user: User, rules: Rules, rank: int) -> tuple[list[CourseState], dict[str, Course]]:
    courses = learning.visible_courses()
    enrolments = {course_id: completed for course_id, completed in db.session.execute(
        select(Enrolment.course_id, Enrolment.completed_at.is_not(None))
        .where(Enrolment.user_id == user.id))}
    states = []
    for course in courses:
        unlocks_at = rules.course_unlocked_at(course.slug)
        states.append(CourseState(course.slug, course.position, course.grants_certificate,
                                  completed=bool(enrolments.get(course.id)),
                                  started=course.id in enrolments,
                                  locked=unlocks_at is not None and rank < unlocks_at.rank))
    return states, {course.slug: course for course in courses}


def pending_certificates(user_id: int, states: list[CourseState]) -> frozenset[str]:
    """Certificate courses she completed that hold no certificate yet (issuing runs in the
    background). A revoked one is a decision, not on its way."""
    completed = {s.slug for s in states if s.completed and s.grants_certificate}
    if not completed:
        return frozenset()
    having = set(db.session.scalars(select(Course.slug).join(
        Certificate, Certificate.course_id == Course.id).where(Certificate.user_id == user_id)))
    return frozenset(completed - having)


@certificates_hooks.next_step.provide  # "My certificates" asks it
def next_step(user: User, just_finished: str | None = None) -> NextStep:
    """Her tier, every tier's requirements with her standing, and the course to take next."""
    rules = current_rules()
    node = shown_node(user)
    current = rules.tier(node.tier)
    facts = facts_for([user.id])[user.id]
    states, courses = _course_states(user, rules, current.rank)
    plans = plan_tiers(rules, current, facts, pending_certificates(user.id, states), courses)
    following = plans[current.rank + 1] if current.rank + 1 < len(plans) else None
    slug = choose_next_course(following.tier if following else None, facts, states, just_finished)
    started = next((s.started for s in states if s.slug == slug), False)
    return NextStep(current, following, plans, courses.get(slug) if slug else None, started)


@dataclass
class CourseEnd:
    course: Course
    completed: bool
    certificate: Certificate | None  # her valid certificate of the course
    on_its_way: bool  # completed, grants one, none issued yet
    revoked: bool  # her latest certificate of the course was revoked
    step: NextStep
    late: bool = False  # on its way for longer than it usually takes
    revoked_reason: str | None = None  # what the administrator wrote (she is told why)
    locked_until: object | None = None  # the tier that opens the course, if not hers yet


# A certificate normally arrives within a minute; past this the page says it is late.
CERTIFICATE_LATE_AFTER = timedelta(minutes=5)


@certificates_hooks.course_end.provide  # the page a finished course leads to asks it
def course_end(user: User, course: Course) -> CourseEnd:
    """The moment after a course: her certificate (or that it is on its way), the tier in
    reach and the next course."""
    completed_at = db.session.scalar(select(Enrolment.completed_at).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id))
    completed = completed_at is not None
    latest = db.session.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.course_id == course.id)
        .order_by(Certificate.generation.desc()).limit(1)).first()
    valid = latest if latest is not None and latest.valid else None
    on_its_way = completed and course.grants_certificate and latest is None
    revoked = latest is not None and not latest.valid
    return CourseEnd(course, completed, valid, on_its_way=on_its_way, revoked=revoked,
                     # The course she just finished is not offered again; an unfinished
                     # one stays the next step if it is.
                     step=next_step(user, just_finished=course.slug if completed else None),
                     late=on_its_way and completed_at < utcnow() - CERTIFICATE_LATE_AFTER,
                     revoked_reason=latest.revoked_reason if revoked else None,
                     locked_until=None if completed else course_locked_for(user, course.slug))
