"""Errors whose message is fit to show a user as it is; turned into CLI, HTTP or UI output at the edge.

The map (every Heartbeat error derives from ``HeartbeatError``)::

    HeartbeatError                  message fit for a user; the CLI prints one line, the API answers 4xx
    ├── ConfigError                 a declaration cannot be used as written (names the file/key and the fix)
    │   ├── SettingsError           engine.core.settings: HEARTBEAT_* environment
    │   ├── SourceConfigError       engine.sources.kinds: a source's tables or location
    │   ├── MetricFilesInvalid      engine.metrics.files: metrics/*.sql, with file:line per problem
    │   └── AlertConfigError        engine.alerts.config: alerts.yaml
    ├── FieldRejected               operator input that breaks a rule; ``field`` names what to fix (HTTP 422)
    ├── NotFound                    an id that names nothing (HTTP 404)
    │   ├── MetricNotFound          engine.metrics.edits
    │   └── AlertNotFound           engine.alerts.silences
    ├── DatabaseError               engine.core.db: the server cannot be reached or started
    ├── MetricSqlError              engine.metrics.sql: a metric's SQL failed or returned no single number
    ├── SendFailed                  engine.alerts.channels.base: a notification was not delivered
    └── DemoError                   engine.demo.plan: the demo sources cannot be built or used
"""

from __future__ import annotations


class HeartbeatError(Exception):
    """Base of every error whose message is fit to show a user as it is."""


class ConfigError(HeartbeatError):
    """A declaration (setting, source, metric file, routing file) that cannot be used as written."""


class FieldRejected(HeartbeatError):
    """Input that breaks a rule; ``field`` names the input to fix, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class NotFound(HeartbeatError):
    """An id that names nothing (or nothing active)."""
