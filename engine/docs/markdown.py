"""Small Markdown builders the generated pages share: tables and inline code that survive any text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def cell(text: object) -> str:
    """One table cell: pipes escaped, line breaks folded, never empty."""
    value = " ".join(str(text if text is not None else "").split())
    return value.replace("|", "\\|") or "—"


def code(text: object) -> str:
    """Inline code that may itself hold backticks."""
    value = " ".join(str(text).split())
    fence = "``" if "`" in value else "`"
    return f"{fence}{value}{fence}" if fence == "`" else f"{fence} {value} {fence}"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def words(identifier: str) -> str:
    """``higher_is_better`` → ``higher is better``."""
    return identifier.replace("_", " ")
