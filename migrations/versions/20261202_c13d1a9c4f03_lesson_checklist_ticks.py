"""lesson checklist ticks

Revision ID: c13d1a9c4f03
Revises: b13a77e3b7a2
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13d1a9c4f03'
down_revision = 'b13a77e3b7a2'
branch_labels = None
depends_on = None


def upgrade():
    # Keyed by slugs and the item's id (not lesson rows): ticks outlive content edits.
    op.create_table('checklist_ticks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_slug', sa.String(length=80), nullable=False),
    sa.Column('lesson_slug', sa.String(length=80), nullable=False),
    sa.Column('item_id', sa.String(length=60), nullable=False),
    sa.Column('ticked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checklist_ticks_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_ticks')),
    sa.UniqueConstraint('user_id', 'course_slug', 'lesson_slug', 'item_id', name=op.f('uq_checklist_ticks_user_id_course_slug_lesson_slug_item_id'))
    )


def downgrade():
    op.drop_table('checklist_ticks')
