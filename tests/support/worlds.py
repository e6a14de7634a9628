"""What the shared fixtures of tests/conftest.py yield: small named worlds instead of tuples."""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.db import Database
from engine.refresh import RefreshContext
from tests.support.factories import MetricFolder


@dataclass(frozen=True)
class World:
    """A Heartbeat of its own: a migrated app database, an empty marts database, a metrics folder, and the
    environment of a process over them (``env``, operator token ``tests.support.served_api.TOKEN``)."""

    db: Database
    folder: MetricFolder
    env: dict[str, str]


@dataclass(frozen=True)
class RefreshEnv:
    """A refreshable world: ``ctx`` runs ingest and compute over a source database ``<prefix>webbank``
    whose ``core.payment`` has 500 payments, 10 % declined; ``folder`` holds the metric files."""

    ctx: RefreshContext
    folder: MetricFolder
