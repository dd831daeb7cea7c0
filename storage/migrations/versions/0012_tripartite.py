"""tripartite: probations, absences, tasks, sign-offs, comments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _people(column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ['people.id'], ondelete=ondelete)


def upgrade() -> None:
    op.create_table('probations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('outcome_on', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    _people('worker_id', 'CASCADE'), _people('recorded_by', 'SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_probations_worker', 'probations', ['worker_id', 'starts_on'], unique=False)
    op.create_table('absences',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('expected_return', sa.Date(), nullable=True),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('pause_checkins', sa.Boolean(), nullable=False),
    sa.Column('pause_supervision', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    _people('worker_id', 'CASCADE'), _people('recorded_by', 'SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_absences_worker', 'absences', ['worker_id', 'started_on'], unique=False)
    op.create_table('tripartite_tasks',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('line_manager_id', sa.String(length=32), nullable=True),
    sa.Column('peer_supervisor_id', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('owner', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('meeting_at', sa.DateTime(), nullable=True),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    _people('worker_id', 'CASCADE'), _people('line_manager_id', 'SET NULL'),
    _people('peer_supervisor_id', 'SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ux_tripartite_tasks_key', 'tripartite_tasks', ['worker_id', 'key'], unique=True)
    op.create_index('ix_tripartite_tasks_due', 'tripartite_tasks', ['status', 'due_on'], unique=False)
    op.create_index('ix_tripartite_tasks_manager', 'tripartite_tasks', ['line_manager_id', 'due_on'], unique=False)
    op.create_index('ix_tripartite_tasks_supervisor', 'tripartite_tasks', ['peer_supervisor_id', 'due_on'],
                    unique=False)
    op.create_table('task_signoffs',
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('party', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.String(length=32), nullable=True),
    sa.Column('verdict', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tripartite_tasks.id'], ondelete='CASCADE'),
    _people('person_id', 'SET NULL'),
    sa.PrimaryKeyConstraint('task_id', 'party')
    )
    op.create_table('task_comments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('author_party', sa.String(length=20), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tripartite_tasks.id'], ondelete='CASCADE'),
    _people('author_id', 'SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_task_comments_task', 'task_comments', ['task_id', 'created_at'], unique=False)


def downgrade() -> None:
    for table in ('task_comments', 'task_signoffs', 'tripartite_tasks', 'absences', 'probations'):
        op.drop_table(table)
