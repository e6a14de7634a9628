"""Audit cuts: what a cut module declares (order, prose, windows, metrics, sources, kind) and a snapshot's
source_as_of.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 03:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_JSON_LIST = dict(nullable=False, server_default='[]')


def upgrade() -> None:
    """Upgrade schema."""
    add = lambda column: op.add_column('audit_cut_registry', column, schema='heartbeat')  # noqa: E731
    add(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
    add(sa.Column('kind', sa.Text(), nullable=False, server_default='table'))
    add(sa.Column('prose_before', sa.Text(), nullable=False, server_default=''))
    add(sa.Column('prose_after', sa.Text(), nullable=False, server_default=''))
    add(sa.Column('windows', postgresql.JSONB(astext_type=sa.Text()), **_JSON_LIST))
    add(sa.Column('metrics', postgresql.JSONB(astext_type=sa.Text()), **_JSON_LIST))
    add(sa.Column('source_schemas', postgresql.JSONB(astext_type=sa.Text()), **_JSON_LIST))
    add(sa.Column('file_owner', sa.Text(), nullable=True))
    add(sa.Column('module', sa.Text(), nullable=False, server_default=''))
    op.add_column('audit_cut_snapshot', sa.Column('source_as_of', sa.DateTime(timezone=True), nullable=True),
                  schema='heartbeat')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('audit_cut_snapshot', 'source_as_of', schema='heartbeat')
    for column in ('module', 'file_owner', 'source_schemas', 'metrics', 'windows', 'prose_after', 'prose_before',
                   'kind', 'position'):
        op.drop_column('audit_cut_registry', column, schema='heartbeat')
