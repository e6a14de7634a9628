"""Alembic environment of schema ``heartbeat``.

The connection comes from the caller (``engine.store.migrations`` passes one in
``config.attributes["connection"]``) or from Heartbeat's settings when alembic
is run by hand.
"""

from sqlalchemy import text

from alembic import context
from engine.store.models import SCHEMA, metadata

config = context.config


def _run(connection) -> None:
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=SCHEMA,
        include_schemas=True,
        include_name=lambda name, type_, parent: type_ != "schema" or name == SCHEMA,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from engine import runtime

    with runtime.get().db.engine().begin() as conn:
        _run(conn)
