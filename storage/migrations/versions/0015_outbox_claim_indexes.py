"""outbox: indexes shaped for the claim (pending rows by due time; lapsed leases)

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01

The claim used to find due rows through (status, due_at) with an OR over two statuses, which
PostgreSQL answers by collecting and sorting every due row: 1M due rows cost 23x what 1k did.
Each branch now has an index it can read in claim order and stop after the batch.
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None

_PENDING = sa.text("status = 'pending'")
_SENDING = sa.text("status = 'sending'")


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending_due', ['due_at', 'id'], unique=False,
                              postgresql_where=_PENDING, sqlite_where=_PENDING)
        batch_op.create_index('ix_outbox_sending_lease', ['claimed_until'], unique=False,
                              postgresql_where=_SENDING, sqlite_where=_SENDING)
        batch_op.drop_index('ix_outbox_status_due')


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_due', ['status', 'due_at'], unique=False)
        batch_op.drop_index('ix_outbox_sending_lease')
        batch_op.drop_index('ix_outbox_pending_due')
