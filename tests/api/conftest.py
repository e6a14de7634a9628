"""Fixtures for API tests: the REST API served over real HTTP on a world of hand-built metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import httpx
import pytest

from engine.core.db import Database
from engine.core.settings import load_settings
from engine.runtime import Runtime
from tests.support.factories import MetricFolder
from tests.support.served_api import ServedApi


@dataclass(frozen=True)
class ApiWorld:
    """The API served over ``world``: ``http`` calls it (base URL set), ``url`` is its address."""

    http: httpx.Client
    db: Database
    folder: MetricFolder
    url: str


@pytest.fixture()
def api(world) -> Iterator[ApiWorld]:
    rt = Runtime(settings=load_settings(world.env), db=world.db)
    with ServedApi(rt) as served, served.client() as http:
        yield ApiWorld(http, world.db, world.folder, served.url)
