"""role-play figures: indexes for the statistics page and the ledger's scenario plays

Revision ID: f17d3e5a6b42
Revises: bee708fdf97a
Create Date: 2026-12-04 02:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f17d3e5a6b42'
down_revision = 'bee708fdf97a'  # after the assignments' tables
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scenario_plays', schema=None) as batch_op:
        # Counts and each learner's best finished play, per scenario (statistics).
        batch_op.create_index('ix_scenario_plays_figures',
                              ['scenario_id', 'state', 'user_id', 'percent'], unique=False)
        # Each learner's first play of a version (the replies chosen at each decision).
        batch_op.create_index('ix_scenario_plays_version_user',
                              ['version_id', 'user_id', 'id'], unique=False)
        # The ledger reads finished plays backwards in time, keyset by (finished_at, id).
        batch_op.create_index('ix_scenario_plays_finished_at', ['finished_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('scenario_plays', schema=None) as batch_op:
        batch_op.drop_index('ix_scenario_plays_finished_at')
        batch_op.drop_index('ix_scenario_plays_version_user')
        batch_op.drop_index('ix_scenario_plays_figures')
