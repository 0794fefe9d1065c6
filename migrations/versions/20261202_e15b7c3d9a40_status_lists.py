"""bitstring status lists for revocation

Revision ID: e15b7c3d9a40
Revises: d14e0a7b5c21
Create Date: 2026-12-02 19:00:00

"""
import secrets
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e15b7c3d9a40'
down_revision = 'd14e0a7b5c21'
branch_labels = None
depends_on = None

SIZE = 131_072  # app/certificates/status.py


def upgrade():
    lists = op.create_table('status_lists',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('secret', sa.LargeBinary(length=32), nullable=False),
    sa.Column('credential', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("purpose = 'revocation'", name=op.f('ck_status_lists_known_purpose')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_lists'))
    )
    # Certificates issued before lists existed get theirs now; the list credentials are
    # signed on first request (the signing key is the application's, not the migration's).
    highest = op.get_bind().execute(sa.text("SELECT MAX(id) FROM certificates")).scalar() or 0
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(lists, [
        {"id": number, "purpose": "revocation", "secret": secrets.token_bytes(32),
         "revision": 0, "created_at": now}
        for number in range(1, (highest - 1) // SIZE + 2)] if highest else [])


def downgrade():
    op.drop_table('status_lists')
