"""feedback theme corrections: facilitators' verdicts on quotes, kept as anonymous labelled data

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback_theme_corrections',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('text_key', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('theme_id', sa.String(length=50), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('text_key', 'theme_id'),
    sqlite_with_rowid=False
    )


def downgrade() -> None:
    op.drop_table('feedback_theme_corrections')
