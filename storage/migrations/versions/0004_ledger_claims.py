"""ledger claims: a lease while a turn runs, and no stored invoke answers

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already there are finished turns: no lease. Their stored answers may hold what people
    # typed, so the column goes with its contents.
    with op.batch_alter_table('processed_activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('owner', sa.String(length=32), server_default='', nullable=False))
        batch_op.drop_column('response')


def downgrade() -> None:
    with op.batch_alter_table('processed_activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response', sa.JSON(), nullable=True))
        batch_op.drop_column('owner')
        batch_op.drop_column('lease_until')
