"""Where a registered source lives: from dlt secrets/config, else the demo defaults.

Production names each source in dlt's secrets (``secrets.toml`` or the
environment), e.g. ``SOURCES__WEBBANK__CREDENTIALS=postgresql://…``,
``SOURCES__CURRENCY_RATE__BASE_URL=https://…``,
``SOURCES__CURRENCY_RATE_FILES__PATH=/srv/drop/rates``. Without them a
Postgres source is the database of the same name on the server of the demo
sources (``Database.sources``: Heartbeat's own, unless
HEARTBEAT_DEMO_SOURCES_DATABASE_URL names another) and REST/file sources use
the locations the demo serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dlt
from sqlalchemy.engine import URL, make_url

from engine.core.db import Database
from engine.sources.catalog import SourceSpec


@dataclass(frozen=True)
class Location:
    """A resolved source location. ``describe()`` is safe to show; the URL may hold a password."""

    kind: str
    url: URL | None = None
    base_url: str | None = None
    path: Path | None = None

    def describe(self) -> str:
        if self.url is not None:
            host = self.url.host or "local socket"
            return f"database {self.url.database!r} on {host}"
        if self.base_url is not None:
            return self.base_url
        return str(self.path)


def _secret(key: str) -> str | None:
    try:
        value = dlt.secrets.get(key)
    except Exception:  # a malformed secrets file must read as "not configured", not crash ingest
        value = None
    return str(value) if value else None


def resolve_location(spec: SourceSpec, db: Database, source_database_prefix: str = "",
                     defaults: Mapping[str, str] | None = None) -> Location:
    """The location of ``spec``: dlt secrets first, else ``defaults`` (REST/file) or the sources server of ``db``."""
    defaults = defaults or {}
    if spec.kind == "postgres":
        configured = _secret(f"sources.{spec.name}.credentials")
        if configured:
            url = make_url(configured)
            if url.drivername in ("postgresql", "postgres"):
                url = url.set(drivername="postgresql+psycopg")
            return Location("postgres", url=url)
        return Location("postgres", url=db.sources.url(source_database_prefix + spec.name))
    if spec.kind == "rest":
        base_url = _secret(f"sources.{spec.name}.base_url") or defaults.get(spec.name)
        return Location("rest", base_url=base_url)
    path = _secret(f"sources.{spec.name}.path") or defaults.get(spec.name)
    return Location("file", path=Path(path) if path else None)
