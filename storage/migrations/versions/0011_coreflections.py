"""co-reflection groups, members, occurrences, answers and attendance

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coreflection_groups',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('lead_id', sa.String(length=32), nullable=True),
    sa.Column('joining_url', sa.String(length=2000), nullable=False),
    sa.Column('rrule', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('start_time', sa.String(length=5), nullable=False),
    sa.Column('minutes', sa.SmallInteger(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['people.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_coreflection_groups_lead_id'), 'coreflection_groups', ['lead_id'], unique=False)
    op.create_table('coreflection_members',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['coreflection_groups.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'person_id', name='ux_coreflection_member')
    )
    op.create_index('ix_coreflection_members_person', 'coreflection_members', ['person_id'], unique=False)
    op.create_table('coreflection_occurrences',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('original_start', sa.DateTime(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('facilitator_id', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['facilitator_id'], ['people.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['coreflection_groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'original_start', name='ux_coreflection_occurrence')
    )
    op.create_index('ix_coreflection_occurrences_start', 'coreflection_occurrences', ['starts_at'], unique=False)
    op.create_table('coreflection_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('occurrence_id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.String(length=32), nullable=False),
    sa.Column('answer', sa.String(length=10), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('attended_at', sa.DateTime(), nullable=True),
    sa.Column('marked_by', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['occurrence_id'], ['coreflection_occurrences.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('occurrence_id', 'person_id', name='ux_coreflection_response')
    )
    op.create_index('ix_coreflection_responses_person', 'coreflection_responses', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_table('coreflection_responses')
    op.drop_table('coreflection_occurrences')
    op.drop_table('coreflection_members')
    op.drop_table('coreflection_groups')
