"""The mentor tree: one node per user, with a materialized path for fast subtree queries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db

# Byte order, not a locale's collation: the subtree range scan compares paths as bytes.
PathType = String(400).with_variant(String(400, collation="C"), "postgresql")


class RulesVersion(db.Model):
    """Every tier rules file that was in effect: which rules applied when."""

    __tablename__ = "tier_rules_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class TreeNode(db.Model):
    """A user's place in the tree. path = '/<root id>/.../<own id>/', so the subtree of a node
    is every path in [path, path with its last '/' replaced by '0') — one index range scan."""

    __tablename__ = "tree_nodes"
    __table_args__ = (
        Index("ix_tree_nodes_mentor", "mentor_id", "user_id"),
        # "How many of my direct mentees reached tier k": an index-only count per mentor.
        Index("ix_tree_nodes_mentor_tier", "mentor_id", "tier_rank"),
        # flask tiers recompute walks the tree level by level, deepest first.
        Index("ix_tree_nodes_depth_user", "depth", "user_id"),
        CheckConstraint("mentor_id IS NULL OR mentor_id <> user_id", name="not_own_mentor"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("tree_nodes.user_id"))
    path: Mapped[str] = mapped_column(PathType, unique=True)
    depth: Mapped[int] = mapped_column(default=0)
    invite_code: Mapped[str] = mapped_column(String(12), unique=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    tier: Mapped[str] = mapped_column(String(32), default="trainee", server_default="trainee")
    tier_rank: Mapped[int] = mapped_column(default=0, server_default="0")


class TierChange(db.Model):
    """History: every tier change with the rules version that caused it."""

    __tablename__ = "tier_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    from_tier: Mapped[str] = mapped_column(String(32))
    to_tier: Mapped[str] = mapped_column(String(32))
    rules_version_id: Mapped[int] = mapped_column(ForeignKey("tier_rules_versions.id"))
    reason: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class MentorChange(db.Model):
    """Audit of every mentor reassignment: who, when, from, to, why."""

    __tablename__ = "mentor_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    from_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
