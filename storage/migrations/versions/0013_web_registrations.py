"""web registrations: a registrant without a Teams identity, known by an opaque key

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite changes a column's nullability by copying the table.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.String(length=32), nullable=True)
        batch_op.add_column(sa.Column('web_key', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_registrations_web_key', ['web_key'], unique=True)


def downgrade() -> None:
    # Web registrations have no user to keep them under: they go with the column.
    op.execute(sa.text("DELETE FROM registrations WHERE user_id IS NULL"))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_web_key')
        batch_op.drop_column('web_key')
        batch_op.alter_column('user_id', existing_type=sa.String(length=32), nullable=False)
