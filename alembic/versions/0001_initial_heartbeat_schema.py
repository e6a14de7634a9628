"""Initial heartbeat schema: registries, history, job ledger, change trail, write guard.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 14:59:38.264334

"""
from typing import Sequence, Union

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# The write guard: config columns of metric_registry change only inside the
# metric sync, which sets the transaction-local flag heartbeat.sync = 'on'.
# Operator columns (thresholds, owner, verification) and runtime columns
# (benchmark) stay writable. Frozen here; tests/test_write_guard.py checks it
# against engine.store.models.CONFIG_COLUMNS.
GUARDED = (
    "id", "name", "how_to_read", "methodology", "sources", "source_schemas",
    "value_sql", "history_sql", "period", "unit", "currency", "direction",
    "benchmark_kind", "benchmark_window_days", "tags", "related_cuts",
    "file_thresholds", "config_hash", "definition_hash", "synced_at", "retired_at",
)
_changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in GUARDED)
GUARD_DDL = f"""
CREATE FUNCTION heartbeat.metric_registry_write_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('heartbeat.sync', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP IN ('INSERT', 'DELETE') THEN
        RAISE EXCEPTION 'metric_registry rows are added and removed only by the metric sync'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'edit metrics/<id>.sql and run: heartbeat metrics sync';
    END IF;
    IF {_changed} THEN
        RAISE EXCEPTION 'metric % : config columns come from its file and change only by the metric sync', OLD.id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'edit metrics/' || OLD.id || '.sql and run: heartbeat metrics sync';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER metric_registry_write_guard
    BEFORE INSERT OR UPDATE OR DELETE ON heartbeat.metric_registry
    FOR EACH ROW EXECUTE FUNCTION heartbeat.metric_registry_write_guard();
"""
GUARD_DROP_DDL = """
DROP TRIGGER IF EXISTS metric_registry_write_guard ON heartbeat.metric_registry;
DROP FUNCTION IF EXISTS heartbeat.metric_registry_write_guard();
"""

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('audit_cut_registry',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('page', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('window_default', sa.Text(), server_default='30d', nullable=False),
    sa.Column('owner', sa.Text(), nullable=True),
    sa.Column('verification_state', sa.Text(), server_default='unverified', nullable=False),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('config_hash', sa.Text(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("verification_state IN ('unverified', 'verified')", name='audit_cut_registry_verification'),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )
    op.create_table('metric_registry',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('how_to_read', sa.Text(), server_default='', nullable=False),
    sa.Column('methodology', sa.Text(), server_default='', nullable=False),
    sa.Column('sources', sa.Text(), server_default='', nullable=False),
    sa.Column('source_schemas', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('value_sql', sa.Text(), nullable=False),
    sa.Column('history_sql', sa.Text(), nullable=True),
    sa.Column('period', sa.Text(), nullable=False),
    sa.Column('unit', sa.Text(), server_default='count', nullable=False),
    sa.Column('currency', sa.Text(), nullable=True),
    sa.Column('direction', sa.Text(), nullable=False),
    sa.Column('benchmark_kind', sa.Text(), server_default='none', nullable=False),
    sa.Column('benchmark_window_days', sa.Integer(), nullable=True),
    sa.Column('tags', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('related_cuts', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('file_thresholds', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('norm_value', sa.Float(), nullable=True),
    sa.Column('alert_value', sa.Float(), nullable=True),
    sa.Column('target_value', sa.Float(), nullable=True),
    sa.Column('target_due_date', sa.Date(), nullable=True),
    sa.Column('threshold_set_by', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('benchmark_mean', sa.Float(), nullable=True),
    sa.Column('benchmark_stddev', sa.Float(), nullable=True),
    sa.Column('benchmark_computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('owner', sa.Text(), nullable=True),
    sa.Column('verification_state', sa.Text(), server_default='unverified', nullable=False),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_hash', sa.Text(), nullable=True),
    sa.Column('config_hash', sa.Text(), nullable=False),
    sa.Column('definition_hash', sa.Text(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("benchmark_kind IN ('none', 'rolling_stat')", name='metric_registry_benchmark_kind'),
    sa.CheckConstraint("direction IN ('higher_is_better', 'lower_is_better')", name='metric_registry_direction'),
    sa.CheckConstraint("period IN ('snapshot', '24h', '7d', '30d', 'funnel')", name='metric_registry_period'),
    sa.CheckConstraint("unit IN ('count', 'money', 'percent', 'seconds', 'ratio')", name='metric_registry_unit'),
    sa.CheckConstraint("verification_state IN ('unverified', 'verified')", name='metric_registry_verification'),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )
    op.create_table('refresh_job',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('trigger', sa.Text(), nullable=False),
    sa.Column('requested', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.Text(), server_default='running', nullable=False),
    sa.Column('phase', sa.Text(), server_default='queued', nullable=False),
    sa.Column('step', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('current_item', sa.Text(), nullable=True),
    sa.Column('source_outcomes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('metric_outcomes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('host', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'succeeded', 'partial', 'failed', 'abandoned')", name='refresh_job_status'),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )
    op.create_index('refresh_job_started_at', 'refresh_job', ['started_at'], unique=False, schema='heartbeat')
    op.create_table('registry_change',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('entity', sa.Text(), server_default='metric', nullable=False),
    sa.Column('entity_id', sa.Text(), nullable=False),
    sa.Column('field', sa.Text(), nullable=False),
    sa.Column('old_value', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('new_value', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('changed_by', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )
    op.create_index('registry_change_entity', 'registry_change', ['entity', 'entity_id', 'changed_at'], unique=False, schema='heartbeat')
    op.create_table('audit_cut_snapshot',
    sa.Column('cut_id', sa.Text(), nullable=False),
    sa.Column('window_key', sa.Text(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['cut_id'], ['heartbeat.audit_cut_registry.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cut_id', 'window_key'),
    schema='heartbeat'
    )
    op.create_table('metric_history',
    sa.Column('metric_id', sa.Text(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('source_as_of', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('job_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['metric_id'], ['heartbeat.metric_registry.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('metric_id', 'day'),
    schema='heartbeat'
    )
    op.execute(GUARD_DDL)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(GUARD_DROP_DDL)
    op.drop_table('metric_history', schema='heartbeat')
    op.drop_table('audit_cut_snapshot', schema='heartbeat')
    op.drop_index('registry_change_entity', table_name='registry_change', schema='heartbeat')
    op.drop_table('registry_change', schema='heartbeat')
    op.drop_index('refresh_job_started_at', table_name='refresh_job', schema='heartbeat')
    op.drop_table('refresh_job', schema='heartbeat')
    op.drop_table('metric_registry', schema='heartbeat')
    op.drop_table('audit_cut_registry', schema='heartbeat')
