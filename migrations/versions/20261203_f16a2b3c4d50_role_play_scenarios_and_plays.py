"""role-play scenarios and plays

Revision ID: f16a2b3c4d50
Revises: e15b7c3d9a40
Create Date: 2026-12-03 18:17:38

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f16a2b3c4d50'
down_revision = 'e15b7c3d9a40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scenarios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_scenarios_module_id_modules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenarios')),
    sa.UniqueConstraint('module_id', 'slug', name=op.f('uq_scenarios_module_id_slug'))
    )
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenarios_module_id'), ['module_id'], unique=False)

    op.create_table('scenario_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenarios.id'], name=op.f('fk_scenario_versions_scenario_id_scenarios')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_versions')),
    sa.UniqueConstraint('scenario_id', 'number', name=op.f('uq_scenario_versions_scenario_id_number'))
    )
    with op.batch_alter_table('scenario_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_versions_scenario_id'), ['scenario_id'], unique=False)

    op.create_table('scenario_plays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('path', sa.JSON(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=True),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('ending', sa.String(length=8), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'finished')", name=op.f('ck_scenario_plays_known_state')),
    sa.CheckConstraint('step >= 0', name=op.f('ck_scenario_plays_step_not_negative')),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenarios.id'], name=op.f('fk_scenario_plays_scenario_id_scenarios')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scenario_plays_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['scenario_versions.id'], name=op.f('fk_scenario_plays_version_id_scenario_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_plays')),
    sa.UniqueConstraint('user_id', 'scenario_id', 'number', name=op.f('uq_scenario_plays_user_id_scenario_id_number'))
    )
    with op.batch_alter_table('scenario_plays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_plays_scenario_id'), ['scenario_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scenario_plays_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_scenario_plays_one_open', ['user_id', 'scenario_id'], unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))



def downgrade():
    with op.batch_alter_table('scenario_plays', schema=None) as batch_op:
        batch_op.drop_index('uq_scenario_plays_one_open', sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
        batch_op.drop_index(batch_op.f('ix_scenario_plays_user_id'))
        batch_op.drop_index(batch_op.f('ix_scenario_plays_scenario_id'))

    op.drop_table('scenario_plays')
    with op.batch_alter_table('scenario_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_versions_scenario_id'))

    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenarios_module_id'))
    op.drop_table('scenario_versions')

    op.drop_table('scenarios')
