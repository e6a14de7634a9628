"""The scheduler: which process leads it (with a heartbeat) and what each scheduled run did;
an index for sparkline reads of history by day.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:37:04.729742

"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('scheduler_leader',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('host', sa.Text(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )
    op.create_table('scheduler_run',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('job', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )
    op.create_index('metric_history_day', 'metric_history', ['day'], unique=False, schema='heartbeat')
    op.create_index('scheduler_run_latest', 'scheduler_run', ['job', 'started_at'], unique=False, schema='heartbeat')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('metric_history_day', table_name='metric_history', schema='heartbeat')
    op.drop_index('scheduler_run_latest', table_name='scheduler_run', schema='heartbeat')
    op.drop_table('scheduler_run', schema='heartbeat')
    op.drop_table('scheduler_leader', schema='heartbeat')
