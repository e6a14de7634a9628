"""Every Heartbeat setting, declared once: name, default, help, environment variable.

The process reads the environment exactly once, at start-up, through
``load_settings``; everything below it receives a ``Settings`` object as an
argument. ``docs/configuration.md`` documents each entry (a test checks).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

from engine.core.durations import parse_duration
from engine.core.errors import ConfigError


class SettingsError(ConfigError):
    """A setting has a value Heartbeat cannot use; the message names the key and a fix."""


def _frame_ancestors(raw: str) -> str:
    sources = raw.split()
    for source in sources:
        if source not in ("'self'", "'none'") and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", source):
            raise ValueError(f"{source!r} is not a frame source")
    if not sources:
        raise ValueError("must name at least one source")
    return " ".join(sources)


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError("must be between 1 and 65535")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def _optional_pid(raw: str) -> int | None:
    return _positive_int(raw) if raw.strip() else None


def _optional_text(raw: str) -> str | None:
    return raw.strip() or None


def _database_url(raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    if not text.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise ValueError("must be a PostgreSQL URL starting with postgresql://")
    return text


def _url_database(url: str) -> str | None:
    """The database part of a PostgreSQL URL (``/marts`` in ``postgresql://h/marts?x=y``), or None."""
    match = re.match(r"[a-z+]+://[^/?]*/([^?]+)", url)
    return match.group(1) if match else None


def _identifier(raw: str) -> str:
    text = raw.strip()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", text):
        raise ValueError("must be a plain name of letters, digits and underscores")
    return text


def _cron(raw: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    text = " ".join(raw.split())
    try:
        CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"must be a 5-field cron expression ({exc})") from exc
    return text


def _on_off(raw: str) -> bool:
    text = raw.strip().lower()
    if text not in {"on", "off", "true", "false", "1", "0"}:
        raise ValueError("must be on or off")
    return text in {"on", "true", "1"}


def _timezone(raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = raw.strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone such as Europe/Riga or UTC") from exc
    return text


def _night(raw: str) -> tuple[int, int] | None:
    text = raw.strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text)
    if not match:
        raise ValueError("must be a time range such as 22:00-07:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError("must be a time range such as 22:00-07:00")
    return h1 * 60 + m1, h2 * 60 + m2


def _public_url(raw: str) -> str | None:
    text = raw.strip().rstrip("/")
    if not text:
        return None
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
        raise ValueError("must be an http(s) URL such as https://heartbeat.example.com")
    return text


def _origins(raw: str) -> tuple[str, ...]:
    """A comma-separated list of origins such as https://tv.example.com (scheme://host[:port], no path)."""
    found: list[str] = []
    for part in raw.split(","):
        text = part.strip().rstrip("/").lower()
        if not text:
            continue
        if text == "*" or not re.fullmatch(r"https?://[a-z0-9.\-\[\]:]+", text):
            raise ValueError(f"must list origins such as https://tv.example.com (got {part.strip()!r})")
        found.append(text)
    return tuple(dict.fromkeys(found))


def _redis_url(raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    if not text.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must be a Redis URL starting with redis://, rediss:// or unix://")
    return text


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
    return level


@dataclass(frozen=True)
class Setting:
    """One declared setting. ``hint`` is what the user should do when the value is bad."""

    name: str
    env: str
    default: str
    help: str
    parse: Callable[[str], Any]
    hint: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url", "HEARTBEAT_DATABASE_URL", "",
        "PostgreSQL URL of Heartbeat's own database. Unset: an embedded PostgreSQL "
        "is started in the data folder.",
        _database_url, "use postgresql://user:password@host:5432/heartbeat or leave it unset",
        secret=True,
    ),
    Setting(
        "compute_database_url", "HEARTBEAT_COMPUTE_DATABASE_URL", "",
        "PostgreSQL URL of the read-only login metric SQL runs as (its database part is ignored: metric SQL "
        "reads HEARTBEAT_MARTS_DATABASE). Unset: Heartbeat creates and maintains the role heartbeat_metric_sql "
        "itself, which needs an embedded server or a configured user allowed to create roles.",
        _database_url, "use postgresql://heartbeat_metric_sql:password@host:5432/marts or leave it unset",
        secret=True,
    ),
    Setting(
        "data_dir", "HEARTBEAT_DATA_DIR", ".heartbeat",
        "Folder for the embedded database, dlt pipelines and generated files.",
        lambda raw: Path(raw).expanduser(), "point it at a writable folder",
    ),
    Setting(
        "metrics_dir", "HEARTBEAT_METRICS_DIR", str(Path(__file__).resolve().parents[2] / "metrics"),
        "Folder of the metric files (metrics/<metric_id>.sql), the config truth of the registry.",
        lambda raw: Path(raw).expanduser(), "point it at the folder that holds your metrics/*.sql files",
    ),
    Setting(
        "cuts_dir", "HEARTBEAT_CUTS_DIR", str(Path(__file__).resolve().parents[2] / "cuts"),
        "Folder of the audit cut modules (cuts/<cut_id>.py), the config truth of the cut registry.",
        lambda raw: Path(raw).expanduser(), "point it at the folder that holds your cuts/*.py modules",
    ),
    Setting(
        "marts_database", "HEARTBEAT_MARTS_DATABASE", "marts",
        "Database that ingest lands source data into and metric SQL reads: on Heartbeat's own server, or on "
        "the server of HEARTBEAT_MARTS_DATABASE_URL (whose database part, when given, wins).",
        _identifier, "use a plain name of letters, digits and underscores, e.g. marts",
    ),
    Setting(
        "marts_database_url", "HEARTBEAT_MARTS_DATABASE_URL", "",
        "PostgreSQL URL of the marts on a server of their own (dlt lands there, metric and cut SQL read there). "
        "Its user must be allowed to create schemas, and roles unless HEARTBEAT_COMPUTE_DATABASE_URL is set. "
        "Unset: the marts are a database on Heartbeat's own server.",
        _database_url, "use postgresql://user:password@marts-host:5432/marts or leave it unset",
        secret=True,
    ),
    Setting(
        "marts_read_url", "HEARTBEAT_MARTS_READ_URL", "",
        "Optional PostgreSQL URL of a read replica of the marts: metric SQL and audit cuts read there (as the "
        "compute role), ingest still writes to HEARTBEAT_MARTS_DATABASE_URL. Needs HEARTBEAT_MARTS_DATABASE_URL.",
        _database_url, "use postgresql://heartbeat_metric_sql:password@replica:5432/marts or leave it unset",
        secret=True,
    ),
    Setting(
        "demo_sources_database_url", "HEARTBEAT_DEMO_SOURCES_DATABASE_URL", "",
        "PostgreSQL URL of a server of their own for the demo's source databases (webbank, aml, "
        "card_management): `heartbeat demo` builds them there, its live appender writes there and ingest reads "
        "them there (its database part is ignored). Its user must be allowed to create databases. dlt secrets "
        "naming a source (SOURCES__<NAME>__CREDENTIALS) still win. Unset: they are databases on Heartbeat's own "
        "server.",
        _database_url, "use postgresql://user:password@sources-host:5432/postgres or leave it unset",
        secret=True,
    ),
    Setting(
        "port", "HEARTBEAT_PORT", "3000",
        "Port the app (pages, websocket and REST API) listens on.",
        _port, "use a free TCP port such as 3000",
    ),
    Setting(
        "read_token", "HEARTBEAT_READ_TOKEN", "",
        "Optional token every read needs: pages, static files, the websocket and the REST API (a TV opens "
        "/?token=<token> once and keeps a cookie; scripts send a Bearer header). Unset: reads are open, as a TV "
        "on the office network needs no login.",
        _optional_text, "set a long random string, or leave it unset for open reads",
        secret=True,
    ),
    Setting(
        "demo_rates_port", "HEARTBEAT_DEMO_RATES_PORT", "3001",
        "Port of the demo's currency-rate REST API (served by `heartbeat demo` on 127.0.0.1).",
        _port, "use a free TCP port such as 3001",
    ),
    Setting(
        "operator_token", "HEARTBEAT_OPERATOR_TOKEN", "",
        "Bearer token for operator writes (thresholds, owners, verification, recompute). "
        "Unset: writes are refused.",
        _optional_text, "set a long random string, e.g. `openssl rand -hex 24`",
        secret=True,
    ),
    Setting(
        "metric_statement_timeout", "HEARTBEAT_METRIC_STATEMENT_TIMEOUT", "60s",
        "Longest a metric's SQL may run before it is cancelled (e.g. 60s, 500ms, 2min).",
        parse_duration, "use a positive duration such as 60s",
    ),
    Setting(
        "compute_workers", "HEARTBEAT_COMPUTE_WORKERS", "4",
        "Metrics computed in parallel, one database connection each.",
        _positive_int, "use a whole number such as 4",
    ),
    Setting(
        "timezone", "HEARTBEAT_TIMEZONE", "UTC",
        "Time zone of the clock and the times shown on the screens (metric days stay UTC days).",
        _timezone, "use an IANA time zone such as Europe/Riga",
    ),
    Setting(
        "tv_refresh_seconds", "HEARTBEAT_TV_REFRESH_SECONDS", "30",
        "How often an open cockpit re-reads the registry (it never triggers a computation).",
        parse_duration, "use a positive duration such as 30s",
    ),
    Setting(
        "screen_expiry", "HEARTBEAT_SCREEN_EXPIRY", "1d",
        "A screen (a cockpit tab listed by /api/screens) not seen for this long is deleted.",
        parse_duration, "use a duration such as 1d or 12h",
    ),
    Setting(
        "max_sessions_per_address", "HEARTBEAT_MAX_SESSIONS_PER_ADDRESS", "20",
        "Open websocket sessions (tabs) one client address may hold at once; more are refused. Raise it when "
        "many screens share one address (a NAT, a proxy).",
        _positive_int, "use a whole number such as 20",
    ),
    Setting(
        "frozen_after", "HEARTBEAT_FROZEN_AFTER", "2h",
        "With no successful refresh for this long the cockpit shows a 'frozen since' banner.",
        parse_duration, "use a duration such as 2h (the refresh runs hourly by default)",
    ),
    Setting(
        "night_dim", "HEARTBEAT_NIGHT_DIM", "",
        "Dim the cockpit between these local times (e.g. 22:00-07:00); empty: never.",
        _night, "use a time range such as 22:00-07:00, or leave it empty",
    ),
    Setting(
        "scheduler", "HEARTBEAT_SCHEDULER", "on",
        "Run the scheduler inside the app process (one leader across processes). `off` when a separate "
        "`heartbeat scheduler` process runs it.",
        _on_off, "use on or off",
    ),
    Setting(
        "redis_url", "HEARTBEAT_REDIS_URL", "",
        "Redis URL (e.g. redis://localhost:6379/0) where the app's workers keep the tabs' state, so several "
        "workers (`heartbeat serve --workers N`, or several hosts) serve one wall and a tab moves between them. "
        "Unset: one worker keeps the tabs' state in its memory.",
        _redis_url, "use redis://host:6379/0 or leave it unset", secret=True,
    ),
    Setting(
        "schedule_refresh", "HEARTBEAT_SCHEDULE_REFRESH", "17 * * * *",
        "When the refresh job (ingest + compute of every metric) runs; cron, UTC.",
        _cron, "use a 5-field cron expression such as '17 * * * *'",
    ),
    Setting(
        "schedule_benchmarks", "HEARTBEAT_SCHEDULE_BENCHMARKS", "23 4 * * *",
        "When the μ/σ bands of rolling_stat metrics are recomputed; cron, UTC.",
        _cron, "use a 5-field cron expression such as '23 4 * * *'",
    ),
    Setting(
        "schedule_segments", "HEARTBEAT_SCHEDULE_SEGMENTS", "30 4 * * *",
        "When the daily client-segment snapshot runs (clients per segment, engine/audit/segments.py); cron, UTC.",
        _cron, "use a 5-field cron expression such as '30 4 * * *'",
    ),
    Setting(
        "schedule_audit", "HEARTBEAT_SCHEDULE_AUDIT", "45 4 * * *",
        "When audit cut snapshots are refreshed (every cut × window); cron, UTC.",
        _cron, "use a 5-field cron expression such as '45 4 * * *'",
    ),
    Setting(
        "alerts_file", "HEARTBEAT_ALERTS_FILE", str(Path(__file__).resolve().parents[2] / "alerts.yaml"),
        "The alert routing file (channels, routes, pending/clear rules); channel secrets stay in the environment.",
        lambda raw: Path(raw).expanduser(), "point it at an alerts.yaml (see docs/alerts.md)",
    ),
    Setting(
        "public_url", "HEARTBEAT_PUBLIC_URL", "",
        "The address people open Heartbeat at; alert messages link to {public_url}/metrics/<id>. "
        "Empty: http://localhost:PORT.",
        _public_url, "use an http(s) URL such as https://heartbeat.example.com",
    ),
    Setting(
        "frame_ancestors", "HEARTBEAT_FRAME_ANCESTORS", "'self'",
        "Who may show Heartbeat's pages in a frame (the CSP frame-ancestors list), e.g. a TV player's "
        "signage page. Default: only Heartbeat itself.",
        _frame_ancestors, "use 'self', 'none' or space-separated https://host origins",
    ),
    Setting(
        "allowed_origins", "HEARTBEAT_ALLOWED_ORIGINS", "",
        "Other origins (comma-separated, e.g. https://wall.example.com) whose pages may open the websocket "
        "and call the REST API with the browser's credentials. Empty: only the app's own origin (the address "
        "the browser used); a page on any other origin is refused.",
        _origins, "list origins such as https://wall.example.com,http://10.0.0.5:3000 (never *)",
    ),
    Setting(
        "db_restart_delay", "HEARTBEAT_DB_RESTART_DELAY", "1s",
        "Embedded database only: wait this long before restarting a PostgreSQL that died (doubling per failed "
        "attempt, at most 30s apart).",
        parse_duration, "use a positive duration such as 1s",
    ),
    Setting(
        "db_restart_attempts", "HEARTBEAT_DB_RESTART_ATTEMPTS", "8",
        "Embedded database only: restart attempts in a row before the supervisor gives up and says so.",
        _positive_int, "use a whole number such as 8",
    ),
    Setting(
        "parent_pid", "HEARTBEAT_PARENT_PID", "",
        "Set by `heartbeat serve` for the app process it starts: the app stops when that process is gone. "
        "Not for operators.",
        _optional_pid, "leave it unset",
    ),
    Setting(
        "log_level", "HEARTBEAT_LOG_LEVEL", "INFO",
        "Log level of the server and the CLI.",
        _log_level, "use DEBUG, INFO, WARNING or ERROR",
    ),
    Setting(
        "feedback_url", "HEARTBEAT_FEEDBACK_URL", "",
        "Where the Feedback link in the header of every page goes (an issue tracker, a form, a chat channel). "
        "Empty: no Feedback link.",
        _public_url, "use an http(s) URL such as https://github.com/acme/heartbeat/issues",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The validated settings of one process."""

    database_url: str | None = field(repr=False)
    compute_database_url: str | None = field(repr=False)
    data_dir: Path
    metrics_dir: Path
    cuts_dir: Path
    marts_database: str
    marts_database_url: str | None = field(repr=False)
    marts_read_url: str | None = field(repr=False)
    demo_sources_database_url: str | None = field(repr=False)
    port: int
    read_token: str | None = field(repr=False)
    demo_rates_port: int
    operator_token: str | None = field(repr=False)
    metric_statement_timeout: float
    compute_workers: int
    timezone: str
    tv_refresh_seconds: float
    screen_expiry: float
    max_sessions_per_address: int
    frozen_after: float
    night_dim: tuple[int, int] | None
    scheduler: bool
    redis_url: str | None = field(repr=False)
    schedule_refresh: str
    schedule_benchmarks: str
    schedule_segments: str
    schedule_audit: str
    alerts_file: Path
    public_url: str | None
    frame_ancestors: str
    db_restart_delay: float
    db_restart_attempts: int
    parent_pid: int | None
    log_level: str
    allowed_origins: tuple[str, ...] = ()
    feedback_url: str | None = None

    @property
    def embedded(self) -> bool:
        """True when Heartbeat runs its own PostgreSQL in the data folder."""
        return self.database_url is None

    @property
    def link_base(self) -> str:
        """Where alert links point: the public URL, or this machine's port."""
        return self.public_url or f"http://localhost:{self.port}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every declared setting; raise one error listing every bad key."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        raw = env.get(setting.env, setting.default)
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            shown = "(hidden)" if setting.secret else repr(raw)
            reason = str(exc) if "must" in str(exc) else "is not valid"
            problems.append(f"{setting.env}={shown} {reason}; {setting.hint}")
    if values.get("marts_read_url") and not values.get("marts_database_url"):
        problems.append("HEARTBEAT_MARTS_READ_URL=(hidden) needs a primary; set HEARTBEAT_MARTS_DATABASE_URL too "
                        "(ingest writes there)")
    if values.get("marts_database_url"):
        named = _url_database(values["marts_database_url"])
        if named:
            values["marts_database"] = named
    if problems:
        raise SettingsError("invalid configuration: " + " | ".join(problems))
    assert {f.name for f in fields(Settings)} == set(values), "Settings and SETTINGS disagree"
    return Settings(**values)
