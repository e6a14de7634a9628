"""Where ingest reads from and writes to, for one process: the marts, dlt's folder, source defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL

from engine.core.db import Database
from engine.core.settings import Settings

# The demo's generated files (REST data, CSV drop folder) under the data folder.
DEMO_FOLDER = "demo"


@dataclass(frozen=True)
class IngestContext:
    """Where ingest reads from and writes to, for one process."""

    db: Database
    marts_database: str
    pipelines_dir: Path
    # Demo and tests keep source databases on Heartbeat's own server, named
    # prefix + source name; production names them in dlt secrets instead.
    source_database_prefix: str = ""
    # REST base URLs and file folders by source name, used when dlt secrets name none.
    locations: dict[str, str] = field(default_factory=dict)

    @property
    def marts_url(self) -> URL:
        return self.db.url(self.marts_database)


def dlt_credentials(url: URL) -> str:
    """A connection string dlt's Postgres destination accepts.

    dlt insists on a host; for a unix socket the folder travels as libpq's
    ``host`` query parameter, which overrides the placeholder host.
    """
    url = url.set(drivername="postgresql")
    if not url.host:
        url = url.set(host="localhost")
    return url.render_as_string(hide_password=False)


def context_for(settings: Settings, db: Database) -> IngestContext:
    """The ingest context of a Heartbeat process: marts on the same server, demo locations as defaults."""
    db.ensure_database(settings.marts_database)
    demo = settings.data_dir.resolve() / DEMO_FOLDER
    return IngestContext(
        db=db,
        marts_database=settings.marts_database,
        pipelines_dir=settings.data_dir.resolve() / "dlt",
        locations={
            "currency_rate": f"http://127.0.0.1:{settings.demo_rates_port}",
            "currency_rate_files": str(demo / "currency_rates"),
        },
    )
