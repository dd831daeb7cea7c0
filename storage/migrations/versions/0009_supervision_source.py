"""one supervision record per co-reflection occurrence and worker

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ux_supervision_source', 'supervision_records', ['worker_id', 'source'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_supervision_source', table_name='supervision_records')
