"""every account has a tree node (GET pages no longer make one)

Revision ID: e14b2c6d7a30
Revises: d14e0a7b5c21
Create Date: 2026-12-02 15:40:00

"""
import secrets
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e14b2c6d7a30'
down_revision = 'd14e0a7b5c21'
branch_labels = None
depends_on = None

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # app/referrals/services.py, as of this revision


def upgrade():
    # Accounts made before the tree existed (or by older commands) used to get their node on
    # their first visit to /tier or /invite, a write inside a GET. Give them one now, as roots.
    bind = op.get_bind()
    missing = [row[0] for row in bind.execute(sa.text(
        "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM tree_nodes) ORDER BY id"))]
    taken = {row[0] for row in bind.execute(sa.text("SELECT invite_code FROM tree_nodes"))}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = []
    for user_id in missing:
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        while code in taken:
            code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        taken.add(code)
        rows.append({"user_id": user_id, "mentor_id": None, "path": f"/{user_id}/", "depth": 0,
                     "invite_code": code, "joined_at": now, "tier": "trainee", "tier_rank": 0})
    if rows:
        nodes = sa.table("tree_nodes", sa.column("user_id"), sa.column("mentor_id"),
                         sa.column("path"), sa.column("depth"), sa.column("invite_code"),
                         sa.column("joined_at"), sa.column("tier"), sa.column("tier_rank"))
        op.bulk_insert(nodes, rows)


def downgrade():
    pass  # the nodes stay: they are the accounts' invite codes now
