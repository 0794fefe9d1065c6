"""transactional outbox

Revision ID: d14e0a7b5c21
Revises: c13d1a9c4f03
Create Date: 2026-12-02 14:30:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd14e0a7b5c21'
down_revision = 'c13d1a9c4f03'
branch_labels = None
depends_on = None


def upgrade():
    outbox = op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=100), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('available_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('parked_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    op.create_index(op.f('ix_outbox_messages_key'), 'outbox_messages', ['key'], unique=False)
    op.create_index('ix_outbox_messages_due', 'outbox_messages', ['available_at'], unique=False,
                    postgresql_where=sa.text('sent_at IS NULL'),
                    sqlite_where=sa.text('sent_at IS NULL'))
    # Webhook deliveries still pending were waiting on broker messages that may be gone:
    # give each its sending in the outbox, so none is lost in the move.
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    pending = [row[0] for row in op.get_bind().execute(sa.text(
        "SELECT id FROM webhook_deliveries WHERE status = 'pending'"))]
    if pending:
        op.bulk_insert(outbox, [{"task": "webhooks.deliver", "args": [delivery_id],
                                 "key": f"webhooks.deliver:{delivery_id}", "created_at": now,
                                 "available_at": now, "attempts": 0}
                                for delivery_id in pending])


def downgrade():
    op.drop_index('ix_outbox_messages_due', table_name='outbox_messages')
    op.drop_index(op.f('ix_outbox_messages_key'), table_name='outbox_messages')
    op.drop_table('outbox_messages')
