"""Baselines: seasonal and robust benchmark kinds, and history that belongs to a definition.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 05:45:00

``metric_history.definition_hash`` is the registry's ``series_hash`` the row was computed under; rows
from before this migration have none and are adopted by the first sync (engine/metrics/registry.py).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_constraint('metric_registry_benchmark_kind', 'metric_registry', schema='heartbeat', type_='check')
    op.create_check_constraint('metric_registry_benchmark_kind', 'metric_registry',
                               "benchmark_kind IN ('none', 'rolling_stat', 'seasonal', 'robust')", schema='heartbeat')
    op.add_column('metric_registry', sa.Column('benchmark_config', postgresql.JSONB(astext_type=sa.Text()),
                                               server_default='{}', nullable=False), schema='heartbeat')
    op.add_column('metric_registry', sa.Column('benchmark_points', sa.Integer(), nullable=True), schema='heartbeat')
    op.add_column('metric_registry', sa.Column('series_hash', sa.Text(), nullable=True), schema='heartbeat')
    op.add_column('metric_registry', sa.Column('backfilled_hash', sa.Text(), nullable=True), schema='heartbeat')
    op.add_column('metric_history', sa.Column('definition_hash', sa.Text(), nullable=True), schema='heartbeat')
    op.add_column('metric_history', sa.Column('excluded_reason', sa.Text(), nullable=True), schema='heartbeat')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('metric_history', 'excluded_reason', schema='heartbeat')
    op.drop_column('metric_history', 'definition_hash', schema='heartbeat')
    for column in ('backfilled_hash', 'series_hash', 'benchmark_points', 'benchmark_config'):
        op.drop_column('metric_registry', column, schema='heartbeat')
    op.drop_constraint('metric_registry_benchmark_kind', 'metric_registry', schema='heartbeat', type_='check')
    op.execute("UPDATE heartbeat.metric_registry SET benchmark_kind = 'rolling_stat' "
               "WHERE benchmark_kind NOT IN ('none', 'rolling_stat')")
    op.create_check_constraint('metric_registry_benchmark_kind', 'metric_registry',
                               "benchmark_kind IN ('none', 'rolling_stat')", schema='heartbeat')
