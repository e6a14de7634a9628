"""The read-only login that metric SQL runs as, and its grants on the landed schemas.

Metric SQL is code written by analysts and stored in files anyone with
repository access can change, so it must never run with Heartbeat's own
rights: the app connects as a superuser to the embedded server. A dedicated
role that owns nothing, may only read the landed schemas and starts every
transaction read-only turns "please do not write" into "cannot write". It
must be a real login: a superuser session that ``SET ROLE``s could switch
back with ``set_config('role', …)`` in the middle of a query.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from engine.core.db import Database
from engine.core.errors import HeartbeatError

log = logging.getLogger(__name__)

COMPUTE_ROLE = "heartbeat_metric_sql"
# Never granted anything: Heartbeat's own tables, and the server's own schemas.
PRIVATE_SCHEMAS = ("heartbeat", "information_schema")
# Built-in roles that reach files or programs of the server's OS user.
DANGEROUS_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")

_FIX = "set HEARTBEAT_COMPUTE_DATABASE_URL to a login of a read-only role (docs/security.md)"

_UNGRANTED = """
SELECT n.nspname FROM pg_namespace n
WHERE n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> ALL(%(private)s)
  AND (NOT has_schema_privilege(%(role)s, n.oid, 'USAGE')
       OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
                  AND NOT has_table_privilege(%(role)s, c.oid, 'SELECT')))
ORDER BY 1
"""

_ROLE_FACTS = """
SELECT r.rolsuper, r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls OR r.rolreplication,
       (SELECT array_agg(d) FROM unnest(%(dangerous)s::text[]) d WHERE pg_has_role(r.oid, d, 'USAGE'))
FROM pg_roles r WHERE r.rolname = current_user
"""


class ComputeRoleError(HeartbeatError):
    """Metric SQL has no safe login to run as; the one-line message says how to fix it."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


_GRANT_LOCK = 0x4842_4752  # "HBGR"


def sync_grants(admin: psycopg.Connection, role: str) -> list[str]:
    """Give ``role`` USAGE and SELECT on every landed schema of this database that lacks them.

    Checked before every batch of computations rather than only at start-up:
    dlt creates schemas and tables whenever a new source or table lands, and
    a check that finds nothing to do costs one catalog query.
    """
    # Compute workers (threads and processes) start batches together; two GRANTs on one schema at
    # once fail with "tuple concurrently updated", so they take turns (the lock ends with the transaction).
    admin.execute("SELECT pg_advisory_xact_lock(%s)", (_GRANT_LOCK,))
    schemas = [row[0] for row in admin.execute(_UNGRANTED, {"private": list(PRIVATE_SCHEMAS), "role": role})]
    ident = sql.Identifier(role)
    for schema in schemas:
        name = sql.Identifier(schema)
        admin.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(name, ident))
        admin.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(name, ident))
    private = admin.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = 'heartbeat' AND has_schema_privilege(%s, oid, 'USAGE')",
        (role,),
    ).fetchall()
    for (schema,) in private:
        admin.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(sql.Identifier(schema), ident))
    return schemas


def _can_manage_roles(admin: psycopg.Connection) -> bool:
    row = admin.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


_ROLE_AS_IT_MUST_BE = """
SELECT rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolinherit OR rolreplication OR rolbypassrls)
       AND 'default_transaction_read_only=on' = ANY(coalesce(rolconfig, '{}'))
FROM pg_roles WHERE rolname = %s
"""


def _ensure_role(admin: psycopg.Connection, role: str) -> None:
    """Create the role, or bring an existing one back to the attributes it must have (idempotent).

    Altered only when something differs: every process start calls this, and
    concurrent ALTER ROLEs on one role fail with "tuple concurrently updated".
    """
    ident = sql.Identifier(role)
    row = admin.execute(_ROLE_AS_IT_MUST_BE, (role,)).fetchone()
    if row is None:
        try:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
            log.info("created role %s for metric SQL", role)
        except psycopg.errors.DuplicateObject:
            pass  # another Heartbeat process created it between our check and our CREATE
    elif row[0]:
        return
    admin.execute(sql.SQL(
        "ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
    ).format(ident))
    admin.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))


def _check_login(dsn: str, role: str, shown: str) -> None:
    """Log in as the compute role and refuse one that could reach beyond the landed tables."""
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
            superuser, broad, dangerous = conn.execute(_ROLE_FACTS, {"dangerous": list(DANGEROUS_ROLES)}).fetchone()
    except psycopg.OperationalError as exc:
        raise ComputeRoleError(
            f"cannot log in as {role} at {shown} to run metric SQL ({_first_line(exc)}); {_FIX}"
        ) from exc
    if superuser or broad or dangerous:
        rights = "superuser rights" if superuser else ", ".join(dangerous or ["create or replication rights"])
        raise ComputeRoleError(f"refusing to run metric SQL as {role}: it has {rights}; {_FIX}")


def _login_url(db: Database, marts: str, compute_url: str | None) -> URL:
    """Where metric and cut SQL log in: the marts' read replica when one is configured (with the credentials
    of HEARTBEAT_COMPUTE_DATABASE_URL, or the compute role), else the configured compute URL, else the marts
    server as the compute role. Roles and grants are made on the primary and reach a replica by replication."""
    base = db.read_url(marts)
    if compute_url:
        given = make_url(compute_url)
        url = base.set(username=given.username, password=given.password) if base != db.url(marts) else given
    else:
        url = base.set(username=COMPUTE_ROLE, password=None)
    return url.set(drivername="postgresql", database=marts)


class ComputeLogins:
    """Where metric SQL connects, per (server, marts database, configured URL); prepared once per process."""

    def __init__(self) -> None:
        self._ready: dict[tuple[str, str, str], tuple[str, str, bool]] = {}
        self._lock = threading.Lock()

    def dsn(self, db: Database, marts: str, compute_url: str | None = None, *, sync_grants: bool = True) -> str:
        """The libpq string metric SQL connects with; grants synced first unless the caller already did in this
        batch (``sync_grants=False``). Contains credentials: never log it."""
        key = (db.read_url(marts).render_as_string(hide_password=True), marts, compute_url or "")
        with self._lock:
            ready = self._ready.get(key)
            if ready is None:
                ready = self._prepare(db, marts, compute_url)
                self._ready[key] = ready
        dsn, role, manage = ready
        if manage and sync_grants:
            self._sync(db, marts, role)
        return dsn

    def _prepare(self, db: Database, marts: str, compute_url: str | None) -> tuple[str, str, bool]:
        url = _login_url(db, marts, compute_url)
        role = url.username or COMPUTE_ROLE
        with psycopg.connect(db.dsn(marts), autocommit=True, connect_timeout=10) as admin:
            manage = _can_manage_roles(admin)
            if manage and compute_url is None:
                _ensure_role(admin, role)
            exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if exists is None and compute_url:
                raise ComputeRoleError(f"role {role} of HEARTBEAT_COMPUTE_DATABASE_URL does not exist: create it "
                                       "as a read-only login (docs/security.md)")
            if exists is None:
                user = db.url().username or "?"
                raise ComputeRoleError(f"refusing to run metric SQL as {user}: role {role} does not exist and {user} "
                                       f"cannot create it; {_FIX}")
        _check_login(url.render_as_string(hide_password=False), role, url.render_as_string(hide_password=True))
        return url.render_as_string(hide_password=False), role, manage

    @staticmethod
    def _sync(db: Database, marts: str, role: str) -> None:
        # Best effort: a grant that still fails (a role changed by hand meanwhile) is retried next batch.
        try:
            with db.engine(marts).connect() as conn:
                admin = conn.connection.driver_connection
                try:
                    granted = sync_grants(admin, role)
                    admin.commit()
                except BaseException:
                    admin.rollback()
                    raise
            if granted:
                log.info("granted %s read access to %s", role, ", ".join(granted))
        except Exception as exc:  # noqa: BLE001 - a grant hiccup must not stop a refresh
            log.warning("could not sync read grants of %s: %s", role, _first_line(exc))


LOGINS = ComputeLogins()


def ensure_compute_role(db: Database, marts: str, compute_url: str | None = None) -> str | None:
    """Start-up and upgrade: create/maintain the compute role now; returns the one-line problem, if any.

    Never raises: a server where the role cannot be made still serves the
    wall; each metric then fails with this same line as its error.
    """
    try:
        with db.admin(marts) as admin:
            if compute_url is None and _can_manage_roles(admin):
                _ensure_role(admin, COMPUTE_ROLE)
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (marts,)).fetchone():
                return None  # nothing landed yet: the first computation grants what ingest created
        LOGINS.dsn(db, marts, compute_url)
    except (HeartbeatError, psycopg.Error) as exc:
        return _first_line(exc)
    return None
