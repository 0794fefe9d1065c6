"""tree nodes for accounts made before the tree

Revision ID: 634022782770
Revises: d935237f6aa7
Create Date: 2026-11-22 00:30:54.920819

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '634022782770'
down_revision = 'd935237f6aa7'
branch_labels = None
depends_on = None


# Accounts made before the mentor tree existed become roots with a fresh invite code, so
# that pages only ever read the tree (GET requests never write).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def upgrade():
    import secrets
    from datetime import datetime, timezone

    bind = op.get_bind()
    missing = [row[0] for row in bind.execute(sa.text(
        "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM tree_nodes) ORDER BY id"))]
    taken = {row[0] for row in bind.execute(sa.text("SELECT invite_code FROM tree_nodes"))}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for user_id in missing:
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        while code in taken:
            code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        taken.add(code)
        bind.execute(sa.text(
            "INSERT INTO tree_nodes (user_id, mentor_id, path, depth, invite_code, joined_at, tier, tier_rank) "
            "VALUES (:id, NULL, :path, 0, :code, :now, 'trainee', 0)"),
            {"id": user_id, "path": f"/{user_id}/", "code": code, "now": now})


def downgrade():
    pass  # the nodes are data now: keeping them loses nothing
