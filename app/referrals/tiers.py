"""Tier services: the rules in force, re-evaluation after events, recompute, explanations."""
from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from types import SimpleNamespace

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, update

from ..accounts.models import User
from ..certificates.models import Certificate
from ..clock import utcnow
from ..database import insert_ignoring_duplicates
from .. import transactions
from ..extensions import db
from ..learning import hooks as learning_hooks
from ..learning.models import Course
from ..practice import hooks as practice_hooks
from .models import RulesVersion, TierChange, TreeNode
from .rules import Facts, Rules, RulesError, evaluate_tier, parse_rules, requirement_progress
from .services import ensure_node, shown_node
from .signals import tier_changed

log = logging.getLogger(__name__)
DEFAULT_RULES = Path(__file__).with_name("tier_rules.yml")
_cache: dict = {}


def rules_path() -> Path:
    return Path(current_app.config.get("TIER_RULES_PATH") or DEFAULT_RULES)


def current_rules() -> Rules:
    """The rules in force: the rules file, unless it is refused — then the last accepted one.

    Reads only (safe in GET requests); write paths record the version with rules_version().
    """
    path = rules_path()
    source = path.read_text(encoding="utf-8")
    cached = _cache.get(path)
    if cached and cached[0] == source:
        return cached[1]
    try:
        rules = parse_rules(source)
    except RulesError as error:
        log.error("Tier rules in %s refused, keeping the rules in force: %s", path, error)
        version = db.session.execute(select(RulesVersion).order_by(RulesVersion.id.desc())
                                     .limit(1)).scalar_one_or_none()
        if version is None:
            raise
        return parse_rules(version.source)
    _cache[path] = (source, rules)
    return rules


def rules_version(rules: Rules) -> RulesVersion:
    """The recorded row for these rules (hash, time), written the first time they apply.

    Concurrent first uses insert the same digest: the unique constraint keeps one row."""
    insert_ignoring_duplicates(RulesVersion, digest=rules.digest, source=rules.source,
                               loaded_at=utcnow())
    return db.session.execute(select(RulesVersion).where(
        RulesVersion.digest == rules.digest)).scalar_one()


def active_rules() -> tuple[Rules, RulesVersion]:
    """Rules in force and their recorded version (for paths that write tier changes)."""
    rules = current_rules()
    return rules, rules_version(rules)


def facts_for(user_ids: list[int]) -> dict[int, Facts]:
    """Certificates and direct mentees' tier ranks for many people: two queries."""
    certificates: dict[int, set[str]] = defaultdict(set)
    for user_id, slug in db.session.execute(
            select(Certificate.user_id, Course.slug).join(Course, Course.id == Certificate.course_id)
            .where(Certificate.user_id.in_(user_ids), Certificate.revoked_at.is_(None))):
        certificates[user_id].add(slug)
    ranks: dict[int, list[int]] = defaultdict(list)
    for mentor_id, rank, n in db.session.execute(
            select(TreeNode.mentor_id, TreeNode.tier_rank, func.count())
            .where(TreeNode.mentor_id.in_(user_ids)).group_by(TreeNode.mentor_id, TreeNode.tier_rank)):
        ranks[mentor_id] += [rank] * n
    return {uid: Facts(frozenset(certificates[uid]), tuple(sorted(ranks[uid]))) for uid in user_ids}


def _apply(node: TreeNode, tier, version: RulesVersion, reason: str) -> bool:
    if node.tier == tier.key and node.tier_rank == tier.rank:
        return False
    change = TierChange(user_id=node.user_id, from_tier=node.tier, to_tier=tier.key,
                        rules_version_id=version.id, reason=reason[:200], changed_at=utcnow())
    db.session.add(change)
    node.tier, node.tier_rank = tier.key, tier.rank
    tier_changed.send(None, change=change, rules_digest=version.digest)
    return True


def reevaluate(user_id: int, reason: str) -> list[int]:
    """Re-evaluate a person and, while tiers change, their mentor and that mentor's mentor.

    A mentor's tier depends only on direct mentees, so a change travels up one level at a
    time and stops as soon as a tier stays the same: a bounded number of queries per event.
    Idempotent. Returns the ids whose tier changed.
    """
    rules, version = active_rules()
    changed: list[int] = []
    current = db.session.get(User, user_id)
    for _ in range(len(rules.tiers)):
        if current is None:
            break
        node = ensure_node(current)
        tier = evaluate_tier(rules, facts_for([node.user_id])[node.user_id])
        if not _apply(node, tier, version, reason):
            break
        changed.append(node.user_id)
        db.session.flush()
        current = db.session.get(User, node.mentor_id) if node.mentor_id else None
    return changed


def _level_facts(depth: int) -> tuple[dict, dict]:
    """Facts for everyone at one depth in two queries: their certificates, and their direct
    mentees' tiers (a mentee of someone at depth d is exactly someone at depth d + 1)."""
    certificates: dict[int, set[str]] = defaultdict(set)
    for user_id, slug in db.session.execute(
            select(Certificate.user_id, Course.slug).join(Course, Course.id == Certificate.course_id)
            .join(TreeNode, TreeNode.user_id == Certificate.user_id)
            .where(TreeNode.depth == depth, Certificate.revoked_at.is_(None))):
        certificates[user_id].add(slug)
    ranks: dict[int, list[int]] = defaultdict(list)
    for mentor_id, rank, n in db.session.execute(
            select(TreeNode.mentor_id, TreeNode.tier_rank, func.count())
            .where(TreeNode.depth == depth + 1).group_by(TreeNode.mentor_id, TreeNode.tier_rank)):
        ranks[mentor_id] += [rank] * n
    return certificates, ranks


def recompute_all(batch_size: int = 5000, progress=None) -> int:
    """Everyone, after a rules change, one depth level at a time from the deepest up, so
    mentees are settled before their mentors are judged: two fact queries per level, then
    the changes written in batches (bulk UPDATE and bulk INSERT of history). Returns the
    number of changes."""
    rules, version = active_rules()
    transactions.commit()  # a batch over everyone: each level's chunk is its own unit
    nodes = TreeNode.__table__
    set_tier = (update(nodes).where(nodes.c.user_id == bindparam("uid"))
                .values(tier=bindparam("new_tier"), tier_rank=bindparam("new_rank")))
    depths = [d for (d,) in db.session.execute(
        select(TreeNode.depth).distinct().order_by(TreeNode.depth.desc()))]
    changes = 0
    for depth in depths:
        rows = db.session.execute(select(nodes.c.user_id, nodes.c.tier, nodes.c.tier_rank)
                                  .where(nodes.c.depth == depth)).all()
        certificates, ranks = _level_facts(depth)
        now, updates, history = utcnow(), [], []
        for user_id, old_tier, old_rank in rows:
            tier = evaluate_tier(rules, Facts(frozenset(certificates.get(user_id, ())),
                                              tuple(sorted(ranks.get(user_id, ())))))
            if tier.key != old_tier or tier.rank != old_rank:
                updates.append({"uid": user_id, "new_tier": tier.key, "new_rank": tier.rank})
                history.append({"user_id": user_id, "from_tier": old_tier, "to_tier": tier.key,
                                "rules_version_id": version.id, "reason": "rules recomputed",
                                "changed_at": now})
        for start in range(0, max(len(updates), 1), batch_size):
            chunk = updates[start:start + batch_size]
            if chunk:
                db.session.execute(set_tier, chunk)
                db.session.execute(insert(TierChange.__table__), history[start:start + batch_size])
                for change in history[start:start + batch_size]:
                    tier_changed.send(None, change=SimpleNamespace(**change), rules_digest=version.digest)
            transactions.commit()
        changes += len(updates)
        if progress is not None:
            progress(len(rows))
    return changes


def tier_summary(user: User):
    """What the "My tier" page shows: current tier, each tier's terms, progress to the next."""
    rules = current_rules()
    node = shown_node(user)
    facts = facts_for([user.id])[user.id]
    current = rules.tier(node.tier)
    following = rules.tiers[current.rank + 1] if current.rank + 1 < len(rules.tiers) else None
    progress = requirement_progress(rules, following, facts) if following else []
    history = list(db.session.scalars(select(TierChange).where(TierChange.user_id == user.id)
                                      .order_by(TierChange.changed_at.desc()).limit(20)))
    return {"rules": rules, "current": current, "next": following, "progress": progress,
            "history": history}


@learning_hooks.course_locked_for.provide  # the learner's course pages ask it
def course_locked_for(user: User, course_slug: str) -> object | None:
    """The tier that unlocks this course, when the user has not reached it yet."""
    needed = current_rules().course_unlocked_at(course_slug)
    if needed is None:
        return None
    node = db.session.get(TreeNode, user.id)
    rank = node.tier_rank if node else 0
    return needed if rank < needed.rank else None


@practice_hooks.assignment_reviewer.provide  # an assignment handed in asks who reviews it
def assignment_reviewer(learner_id: int) -> int | None:
    """Her direct mentor, when the mentor's tier reviews assignments (the rules file says)."""
    node = db.session.get(TreeNode, learner_id)
    if node is None or node.mentor_id is None:
        return None
    mentor = db.session.get(TreeNode, node.mentor_id)
    if mentor is None:
        return None
    active = db.session.get(User, node.mentor_id)
    if active is None or not getattr(active, "is_active", True):
        return None
    return node.mentor_id if current_rules().tier(mentor.tier).reviews_assignments else None


def reset_cache() -> None:
    _cache.clear()

