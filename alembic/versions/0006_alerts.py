"""Alerts: per-subject alert state, the notification outbox, silences.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 16:20:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _ts(name: str, **kwargs) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kwargs)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'alert_state',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('state', sa.Text(), server_default='ok', nullable=False),
        sa.Column('severity', sa.Text(), nullable=True),
        sa.Column('bad_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('good_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('episode', sa.Integer(), server_default='0', nullable=False),
        sa.Column('reminders', sa.Integer(), server_default='0', nullable=False),
        _ts('since', nullable=True),
        _ts('fired_at', nullable=True),
        _ts('resolved_at', nullable=True),
        _ts('last_notified_at', nullable=True),
        sa.Column('suppressed_by', sa.Text(), nullable=True),
        sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
        sa.Column('acked_by', sa.Text(), nullable=True),
        sa.Column('ack_comment', sa.Text(), nullable=True),
        _ts('acked_until', nullable=True),
        _ts('updated_at', server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("kind IN ('value', 'error', 'stale')", name='alert_state_kind'),
        sa.CheckConstraint("state IN ('ok', 'pending', 'firing', 'resolved')", name='alert_state_state'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
        schema='heartbeat',
    )
    op.create_table(
        'alert_outbox',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('idempotency_key', sa.Text(), nullable=False),
        sa.Column('alert_key', sa.Text(), nullable=True),
        sa.Column('transition', sa.Text(), nullable=False),
        sa.Column('channel', sa.Text(), nullable=False),
        sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('status', sa.Text(), server_default='pending', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        _ts('next_attempt_at', server_default=sa.text('now()'), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        _ts('created_at', server_default=sa.text('now()'), nullable=False),
        _ts('sent_at', nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'dead', 'skipped')", name='alert_outbox_status'),
        sa.PrimaryKeyConstraint('id'),
        schema='heartbeat',
    )
    op.create_index('alert_outbox_idempotency', 'alert_outbox', ['idempotency_key', 'channel'], unique=True,
                    schema='heartbeat')
    op.create_index('alert_outbox_due', 'alert_outbox', ['status', 'next_attempt_at'], unique=False,
                    schema='heartbeat')
    op.create_table(
        'alert_silence',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('metric_id', sa.Text(), nullable=True),
        sa.Column('tag', sa.Text(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
        _ts('created_at', server_default=sa.text('now()'), nullable=False),
        _ts('ends_at', nullable=False),
        _ts('expiry_notified_at', nullable=True),
        sa.CheckConstraint('(metric_id IS NULL) <> (tag IS NULL)', name='alert_silence_one_target'),
        sa.CheckConstraint('ends_at > created_at', name='alert_silence_ends_after_start'),
        sa.PrimaryKeyConstraint('id'),
        schema='heartbeat',
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('alert_silence', schema='heartbeat')
    op.drop_index('alert_outbox_due', table_name='alert_outbox', schema='heartbeat')
    op.drop_index('alert_outbox_idempotency', table_name='alert_outbox', schema='heartbeat')
    op.drop_table('alert_outbox', schema='heartbeat')
    op.drop_table('alert_state', schema='heartbeat')
