"""Turn an ingest failure into one sentence: which source, which table, what went wrong.

Credentials never appear: URLs lose their passwords and the known secret of
the location is masked before anything is written to the ledger or a log.
"""

from __future__ import annotations

import re

from engine.sources import SourceSpec
from engine.sources.locations import Location

_URL_CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)([^/@\s:]+)(:[^/@\s]*)?@", re.I)
_MAX_LENGTH = 600


def redact(text: str, location: Location | None = None) -> str:
    """``text`` with URL credentials and the location's password removed."""
    if location is not None and location.url is not None and location.url.password:
        text = text.replace(str(location.url.password), "***")
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}***@", text)


def _table_of(exc: BaseException) -> str | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for attribute in ("resource_name", "table_name"):
            name = getattr(current, attribute, None)
            if isinstance(name, str) and name:
                return name
        current = current.__cause__ or current.__context__
    return None


def _root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    current = exc
    while (current.__cause__ or current.__context__) is not None and id(current) not in seen:
        seen.add(id(current))
        current = current.__cause__ or current.__context__  # type: ignore[assignment]
    return current


def describe_failure(spec: SourceSpec, schema: str, exc: BaseException, location: Location | None) -> str:
    """One line naming the source, schema, table (when known) and the root cause."""
    table = _table_of(exc)
    cause = _root_cause(exc)
    message = " ".join(str(cause).split()) or type(cause).__name__
    where = f"{spec.name}.{schema}" + (f", table {table}" if table else "")
    if location is not None:
        where += f" ({location.describe()})"
    text = f"{where}: {type(cause).__name__}: {message}"
    text = redact(text, location)
    return text if len(text) <= _MAX_LENGTH else text[: _MAX_LENGTH - 1] + "…"
