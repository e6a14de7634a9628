"""Watchlists: which metrics a team's screen shows; each screen says which watchlist it is on.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 05:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'watchlist',
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('title', sa.Text(), nullable=True),
        sa.Column('metrics', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
        sa.Column('tags', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
        sa.Column('owners', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
        sa.Column('updated_by', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('name'),
        schema='heartbeat',
    )
    op.add_column('screen', sa.Column('watchlist', sa.Text(), nullable=True), schema='heartbeat')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('screen', 'watchlist', schema='heartbeat')
    op.drop_table('watchlist', schema='heartbeat')
