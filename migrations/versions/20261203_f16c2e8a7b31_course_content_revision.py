"""course content revision: the key of the learner pages' in-process outline cache

Revision ID: f16c2e8a7b31
Revises: f16a2b3c4d50
Create Date: 2026-12-03 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f16c2e8a7b31'
down_revision = 'f16a2b3c4d50'  # after the role-play tables
branch_labels = None
depends_on = None


def upgrade():
    # Bumped by every publish (import, editor, zip, re-render) in the publish's transaction.
    with op.batch_alter_table('courses') as batch:
        batch.add_column(sa.Column('content_revision', sa.Integer(), nullable=False,
                                   server_default='0'))


def downgrade():
    with op.batch_alter_table('courses') as batch:
        batch.drop_column('content_revision')
