"""replicas: one heartbeat row per running replica (the proactive rate is shared among them)

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'replicas',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_replicas_last_seen', 'replicas', ['last_seen'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_replicas_last_seen', table_name='replicas')
    op.drop_table('replicas')
