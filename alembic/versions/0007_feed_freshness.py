"""Feed freshness: the newest landed row of a feed, recorded with each sync.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 16:51:52.307494

"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('source_sync', sa.Column('data_as_of', sa.DateTime(timezone=True), nullable=True), schema='heartbeat')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('source_sync', 'data_as_of', schema='heartbeat')
