"""Search across every docs page and catalogue: titles, headings and body lines, best first.

A hit is a line holding every word of the query (case-insensitive); a title beats a heading beats a
body line, and a page gives at most a few lines, so one long page cannot crowd out the rest.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

PER_PAGE = 3
LIMIT = 20
_MARKUP = re.compile(r"[`*#>|]+|\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True)
class Searchable:
    """One page as search sees it: where it lives, its title, its Markdown."""

    href: str
    title: str
    markdown: str


@dataclass(frozen=True)
class Hit:
    href: str
    title: str
    line: str
    rank: int  # 0 title, 1 heading, 2 body


def plain(line: str) -> str:
    """A Markdown line as a reader sees it: links as their text, no emphasis, code or table marks."""
    text = _MARKUP.sub(lambda m: m.group(1) or " ", line)
    return " ".join(text.split())


def _lines(page: Searchable) -> Iterable[tuple[int, str]]:
    yield 0, page.title
    fenced = False
    for raw in page.markdown.splitlines():
        if raw.startswith("```"):
            fenced = not fenced
            continue
        if raw.startswith("# ") and not fenced:
            continue  # the title, already yielded
        rank = 1 if raw.startswith("#") and not fenced else 2
        text = plain(raw)
        if text and set(text) - set("- :"):
            yield rank, text


@functools.lru_cache(maxsize=1024)
def _prepared(page: Searchable) -> tuple[tuple[int, str, str], ...]:
    """(rank, line, lowered line) of a page, worked out once per page text (pages are immutable)."""
    return tuple((rank, line, line.lower()) for rank, line in _lines(page))


def search(query: str, pages: Iterable[Searchable], limit: int = LIMIT) -> list[Hit]:
    """The lines of ``pages`` holding every word of ``query``, best first."""
    words = [w for w in query.lower().split() if w]
    if not words:
        return []
    hits: list[Hit] = []
    for page in pages:
        found = 0
        for rank, line, lowered in _prepared(page):
            if all(word in lowered for word in words):
                hits.append(Hit(page.href, page.title, line if len(line) <= 240 else _around(line, words[0]), rank))
                found += 1
                if found >= PER_PAGE:
                    break
    hits.sort(key=lambda h: h.rank)
    return hits[:limit]


def _around(line: str, word: str, width: int = 240) -> str:
    at = max(0, line.lower().find(word) - width // 3)
    snippet = line[at:at + width]
    return ("… " if at else "") + snippet + (" …" if at + width < len(line) else "")
