"""Tier rules as data, the compliance guard, and evaluation — pure functions, no Flask, no SQL.

Rules load from YAML (referrals/tier_rules.yml by default). The guard refuses, with the
reason, any requirement that counts people beyond direct mentees, counts mentees whatever
their training outcome (sign-ups alone), or asks for a fee or a purchase: the three marks of
pyramid selling in 禁止传销条例.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import yaml

LAW = "禁止传销条例 (Regulations on Prohibition of Pyramid Selling)"
TIER_KEYS = {"key", "name", "requires", "benefits", "reviews_assignments"}
BENEFIT_KEYS = {"commission", "terms", "unlocks_courses"}
MENTEE_KEYS = {"count", "min_tier"}
# Words that betray a requirement the law forbids, and why each one is refused.
FORBIDDEN = {
    "downline": "counts people beyond direct mentees",
    "downlines": "counts people beyond direct mentees",
    "team_size": "counts people beyond direct mentees",
    "indirect_mentees": "counts people beyond direct mentees",
    "levels": "counts people beyond direct mentees",
    "depth": "counts people beyond direct mentees",
    "subtree": "counts people beyond direct mentees",
    "sign_ups": "counts sign-ups alone, whatever their training outcome",
    "signups": "counts sign-ups alone, whatever their training outcome",
    "invites": "counts sign-ups alone, whatever their training outcome",
    "recruits": "counts sign-ups alone, whatever their training outcome",
    "fee": "charges a fee to join or level up",
    "entry_fee": "charges a fee to join or level up",
    "purchase": "requires a purchase to join or level up",
    "stock": "requires a purchase to join or level up",
    "deposit": "charges a fee to join or level up",
    "sales_volume": "requires a purchase to join or level up",
}


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (plain YAML keeps the last one, silently)."""


def _mapping(loader, node, deep=False):
    keys = [loader.construct_object(key, deep=deep) for key, _value in node.value]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise yaml.constructor.ConstructorError(None, None, f"duplicate key {sorted(duplicates)[0]!r}",
                                                node.start_mark)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class RulesError(ValueError):
    """The rules file is refused; `problems` say what and why."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class MenteeRequirement:
    count: int
    min_tier: str


@dataclass(frozen=True)
class Tier:
    key: str
    rank: int
    name: dict
    certificates: tuple[str, ...] = ()
    mentees: tuple[MenteeRequirement, ...] = ()
    benefits: dict = field(default_factory=dict)
    # A mentor at this tier reviews her mentees' assignments (else the course's trainers do).
    reviews_assignments: bool = False

    @property
    def unlocks_courses(self) -> tuple[str, ...]:
        return tuple(self.benefits.get("unlocks_courses", ()))


@dataclass(frozen=True)
class Rules:
    tiers: tuple[Tier, ...]
    digest: str
    source: str

    def rank(self, key: str) -> int:
        return next((t.rank for t in self.tiers if t.key == key), 0)

    def tier(self, key: str) -> Tier:
        return next((t for t in self.tiers if t.key == key), self.tiers[0])

    def course_unlocked_at(self, course_slug: str) -> Tier | None:
        return next((t for t in self.tiers if course_slug in t.unlocks_courses), None)


def _forbidden(value, where: str, problems: list[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            reason = FORBIDDEN.get(str(key).lower())
            if reason:
                problems.append(f"{where}: '{key}' {reason} — refused under {LAW}")
            _forbidden(inner, f"{where}.{key}", problems)
    elif isinstance(value, list):
        for item in value:
            _forbidden(item, where, problems)


def parse_rules(source: str) -> Rules:
    """Validate and build the rules; RulesError with every problem found."""
    problems: list[str] = []
    try:
        data = yaml.load(source, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        raise RulesError([f"not valid YAML: {error}"]) from None
    if not isinstance(data, dict) or set(data) != {"tiers"} or not isinstance(data["tiers"], list) \
            or not data["tiers"]:
        raise RulesError(["the file must hold one key, 'tiers', with a list of tiers"])
    _forbidden(data, "tiers", problems)
    keys: list[str] = []
    tiers: list[Tier] = []
    for rank, raw in enumerate(data["tiers"]):
        if not isinstance(raw, dict):
            problems.append(f"tier {rank + 1}: must be a mapping")
            continue
        where = f"tier '{raw.get('key', rank + 1)}'"
        unknown = set(raw) - TIER_KEYS
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        key = raw.get("key")
        if not isinstance(key, str) or not key or key in keys:
            problems.append(f"{where}: needs a unique 'key'")
            continue
        name = raw.get("name")
        if not isinstance(name, dict) or not {"zh", "en"} <= set(name):
            problems.append(f"{where}: 'name' needs zh and en")
        requires = raw.get("requires") or {}
        benefits = raw.get("benefits") or {}
        if not isinstance(requires, dict) or not isinstance(benefits, dict):
            problems.append(f"{where}: 'requires' and 'benefits' are mappings")
            continue
        if set(benefits) - BENEFIT_KEYS:
            problems.append(f"{where}: unknown benefits {sorted(set(benefits) - BENEFIT_KEYS)}")
        unknown_req = set(requires) - {"certificates", "direct_mentees"}
        for req in sorted(unknown_req):
            if str(req).lower() not in FORBIDDEN:  # forbidden ones are already explained
                problems.append(f"{where}: unknown requirement '{req}' (allowed: certificates, "
                                "direct_mentees)")
        reviews = raw.get("reviews_assignments", False)
        if not isinstance(reviews, bool):
            problems.append(f"{where}: 'reviews_assignments' is true or false")
            reviews = False
        if rank == 0 and requires:
            problems.append(f"{where}: the first tier is everyone's and requires nothing")
        certificates = requires.get("certificates", [])
        if not isinstance(certificates, list) or not all(isinstance(c, str) for c in certificates):
            problems.append(f"{where}: 'certificates' is a list of course slugs")
            certificates = []
        mentee_specs = requires.get("direct_mentees", [])
        mentee_specs = [mentee_specs] if isinstance(mentee_specs, dict) else mentee_specs
        mentees = []
        for spec in mentee_specs if isinstance(mentee_specs, list) else [None]:
            if not isinstance(spec, dict) or set(spec) - MENTEE_KEYS:
                problems.append(f"{where}: direct_mentees takes count and min_tier only")
                continue
            count, min_tier = spec.get("count"), spec.get("min_tier")
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                problems.append(f"{where}: direct_mentees.count must be a whole number ≥ 1")
                continue
            if min_tier not in keys or min_tier == keys[0]:
                problems.append(
                    f"{where}: direct_mentees must count mentees who completed training "
                    f"(min_tier one of {keys[1:] or '[a trained tier defined above]'}), not "
                    f"sign-ups alone — refused under {LAW}")
                continue
            mentees.append(MenteeRequirement(count, min_tier))
        keys.append(key)
        tiers.append(Tier(key=key, rank=rank, name=name if isinstance(name, dict) else {},
                          certificates=tuple(certificates), mentees=tuple(mentees),
                          benefits=benefits, reviews_assignments=reviews))
    if problems:
        raise RulesError(problems)
    return Rules(tiers=tuple(tiers), digest=hashlib.sha256(source.encode()).hexdigest(),
                 source=source)


@dataclass(frozen=True)
class Facts:
    """What a person's tier depends on: their own valid certificates (course slugs) and the
    tier ranks of their direct mentees."""

    certificates: frozenset[str]
    mentee_ranks: tuple[int, ...] = ()


@dataclass(frozen=True)
class Progress:
    label: str  # a key for the page: certificates / mentees
    done: int
    needed: int
    detail: tuple = ()


def requirement_progress(rules: Rules, tier: Tier, facts: Facts) -> list[Progress]:
    lines = []
    if tier.certificates:
        have = [c for c in tier.certificates if c in facts.certificates]
        lines.append(Progress("certificates", len(have), len(tier.certificates),
                              tuple(c for c in tier.certificates if c not in facts.certificates)))
    for need in tier.mentees:
        rank = rules.rank(need.min_tier)
        done = sum(1 for r in facts.mentee_ranks if r >= rank)
        lines.append(Progress("mentees", min(done, need.count), need.count, (need.min_tier,)))
    return lines


def evaluate_tier(rules: Rules, facts: Facts) -> Tier:
    """The highest tier whose requirements, and those of every tier below, are met."""
    reached = rules.tiers[0]
    for tier in rules.tiers[1:]:
        if all(p.done >= p.needed for p in requirement_progress(rules, tier, facts)):
            reached = tier
        else:
            break
    return reached
