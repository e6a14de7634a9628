"""Screens: every tab showing the cockpit and when it was last seen (a dead TV is noticed).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:47:47.125003

"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('screen',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('path', sa.Text(), server_default='/', nullable=False),
    sa.Column('kiosk', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('first_seen', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('screen', schema='heartbeat')
