"""The sync ledger: one row per (source, schema) ingest run; freshness comes from it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:10:09.828043

"""
from typing import Sequence, Union

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('source_sync',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('schema_name', sa.Text(), nullable=False),
    sa.Column('dataset', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), server_default='running', nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('tables', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('rows_total', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('job_id', sa.BigInteger(), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name='source_sync_status'),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )
    op.create_index('source_sync_latest', 'source_sync', ['source', 'schema_name', 'started_at'], unique=False, schema='heartbeat')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('source_sync_latest', table_name='source_sync', schema='heartbeat')
    op.drop_table('source_sync', schema='heartbeat')
