"""Logging: short lines on the terminal, full context in a file, secrets never written.

Handlers are set up once per process by the entry point (CLI or app).
"""

from __future__ import annotations

import logging
import logging.handlers
import re

from sqlalchemy.engine import make_url

from engine.core.settings import SETTINGS, Settings

LOG_FILE_NAME = "logs/heartbeat.log"
_REDACTED = "***"
_URL_PASSWORD = re.compile(r"(postgres(?:ql)?(?:\+\w+)?://[^:/@\s]+:)([^@\s]+)(@)")


class RedactSecrets(logging.Filter):
    """Replace every known secret (token, database password) and any URL password with ***."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, _REDACTED)
        return _URL_PASSWORD.sub(rf"\g<1>{_REDACTED}\g<3>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class _NoTraceback(logging.Formatter):
    """The terminal gets one line per event; tracebacks live in the log file."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = saved


def secrets_of(settings: Settings) -> list[str]:
    """Every secret the settings hold: tokens whole, and the password of every secret URL (database
    servers, Redis) — a driver's error may quote a password outside the URL it came in."""
    found: list[str] = []
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        if not setting.secret or not value:
            continue
        if "://" not in value:
            found.append(value)
            continue
        try:
            found.append(make_url(value).password or "")
        except Exception:  # a URL sqlalchemy cannot parse names no password it could find
            pass
    return found


def add_secrets(values: list[str]) -> None:
    """Redact more values from now on (e.g. alert channel URLs and bot tokens read after start-up)."""
    for handler in logging.getLogger().handlers:
        for filt in handler.filters:
            if isinstance(filt, RedactSecrets):
                filt.secrets = sorted(set(filt.secrets) | {v for v in values if v and len(v) >= 4},
                                      key=len, reverse=True)


def setup_logging(settings: Settings) -> None:
    """Send WARNING+ to the terminal and everything at the configured level to the log file."""
    root = logging.getLogger()
    if getattr(root, "_heartbeat_configured", False):
        return
    root.setLevel(settings.log_level)
    redact = RedactSecrets(secrets_of(settings))

    terminal = logging.StreamHandler()
    terminal.setLevel(logging.WARNING)
    terminal.setFormatter(_NoTraceback("%(levelname)s %(name)s: %(message)s"))
    terminal.addFilter(redact)
    root.addHandler(terminal)

    path = settings.data_dir / LOG_FILE_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=10_000_000, backupCount=3)
    except OSError:
        file_handler = None  # a read-only data folder must not stop the command
    if file_handler is not None:
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"))
        file_handler.addFilter(redact)
        root.addHandler(file_handler)
    root._heartbeat_configured = True  # type: ignore[attr-defined]
