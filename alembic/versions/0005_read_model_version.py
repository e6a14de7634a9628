"""The read model version: a counter that triggers bump on every change a surface can see.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 16:01:47.812184

"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op

# The tables whose changes a surface can see.
WATCHED = ("metric_registry", "metric_history", "refresh_job")

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('read_model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='heartbeat'
    )
    op.execute("INSERT INTO heartbeat.read_model_version (id, version) VALUES (1, 0)")
    op.execute(
        """
        CREATE FUNCTION heartbeat.bump_read_model_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE heartbeat.read_model_version SET version = version + 1 WHERE id = 1;
            RETURN NULL;
        END
        $$
        """
    )
    for table in WATCHED:
        op.execute(
            f"CREATE TRIGGER {table}_bumps_read_model AFTER INSERT OR UPDATE OR DELETE ON heartbeat.{table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION heartbeat.bump_read_model_version()"
        )


def downgrade() -> None:
    """Downgrade schema."""
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_read_model ON heartbeat.{table}")
    op.execute("DROP FUNCTION IF EXISTS heartbeat.bump_read_model_version()")
    op.drop_table('read_model_version', schema='heartbeat')
