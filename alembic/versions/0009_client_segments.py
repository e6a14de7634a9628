"""Client segments: clients per segment per day, the history of the daily segment snapshot.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 04:10:00

"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'client_segment_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('segment', sa.Text(), nullable=False),
        sa.Column('clients', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("segment IN ('new', 'active', 'high-value', 'dormant', 'in arrears')",
                           name='client_segment_day_segment'),
        sa.PrimaryKeyConstraint('day', 'segment'),
        schema='heartbeat',
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('client_segment_day', schema='heartbeat')
