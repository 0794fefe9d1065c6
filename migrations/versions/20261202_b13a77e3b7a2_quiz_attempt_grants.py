"""quiz attempt grants

Revision ID: b13a77e3b7a2
Revises: a13e55105e01
Create Date: 2026-12-02 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b13a77e3b7a2'
down_revision = 'a13e55105e01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quiz_attempt_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('after_attempts', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('after_attempts > 0', name=op.f('ck_quiz_attempt_grants_after_some_attempts')),
    sa.CheckConstraint('granted_by_id <> user_id', name=op.f('ck_quiz_attempt_grants_not_own_grant')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_quiz_attempt_grants_has_reason')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_quiz_attempt_grants_granted_by_id_users')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_attempt_grants_quiz_id_quizzes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_quiz_attempt_grants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt_grants')),
    sa.UniqueConstraint('quiz_id', 'user_id', 'after_attempts', name=op.f('uq_quiz_attempt_grants_quiz_id_user_id_after_attempts'))
    )
    with op.batch_alter_table('quiz_attempt_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempt_grants_user_id'), ['user_id'], unique=False)
    # Stored answers keep the author's option ids, so attempts opened before per-attempt ids
    # need no data change: their layouts lack the scheme marker and still accept those ids.


def downgrade():
    with op.batch_alter_table('quiz_attempt_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_grants_user_id'))
    op.drop_table('quiz_attempt_grants')
