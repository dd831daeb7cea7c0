"""feedback

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback_share_offers',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('series_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'series_id')
    )
    op.create_table('feedback_receipts',
    sa.Column('marker', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('pointer', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['space_sessions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('marker'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('feedback_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_receipts_session_id'), ['session_id'], unique=False)

    op.create_table('feedback_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('overall', sa.SmallInteger(), nullable=False),
    sa.Column('presentation', sa.SmallInteger(), nullable=False),
    sa.Column('discussion', sa.SmallInteger(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('helpful_text', sa.Text(), nullable=True),
    sa.Column('better_text', sa.Text(), nullable=True),
    sa.Column('helpful_themes', sa.JSON(), nullable=False),
    sa.Column('better_themes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['space_sessions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('feedback_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_responses_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedback_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_responses_session_id'))

    op.drop_table('feedback_responses')
    with op.batch_alter_table('feedback_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_receipts_session_id'))

    op.drop_table('feedback_receipts')
    op.drop_table('feedback_share_offers')
