"""daily check-ins: plans and check-ins (free text sealed)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa



revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkin_plans',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('times', sa.JSON(), nullable=False),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('skipped_on', sa.Date(), nullable=True),
    sa.Column('weekly_day', sa.SmallInteger(), nullable=True),
    sa.Column('retention_days', sa.SmallInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('checkins',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('feeling', sa.SmallInteger(), nullable=False),
    sa.Column('states', sa.JSON(), nullable=False),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('let_go', sa.Boolean(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_created', ['created_at'], unique=False)
        batch_op.create_index('ix_checkins_user_date', ['user_id', 'local_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_user_date')
        batch_op.drop_index('ix_checkins_created')

    op.drop_table('checkins')
    op.drop_table('checkin_plans')
