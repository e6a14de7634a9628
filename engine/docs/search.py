"""Search across the documentation: the one search of the /docs search box and the MCP tool ``search_docs``.

A page is split into sections at its headings. A section is a hit when it holds every word of the query
(case-insensitive; with ``every_word=False``, at least one — sections holding more of the words first).
A hit shows the section's line holding most of the words; a title beats a heading beats a line that
begins with the query's words (the row or item that defines the term) beats any line, then the denser
section wins (mentions per √length, so one long table does not win on length alone),
and a page gives at most a few sections, so one long page cannot crowd out the rest.
Imports nothing of Heartbeat, so every layer may search.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

PER_PAGE = 3
LIMIT = 20
LINE_CHARS = 240
_MARKUP = re.compile(r"[`*#>|]+|\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class Searchable:
    """One page as search sees it: where it lives, its title, its Markdown."""

    href: str
    title: str
    markdown: str


@dataclass(frozen=True)
class Hit:
    href: str
    title: str  # the page's
    section: str  # the heading of the section that matched (the page title for its introduction)
    anchor: str  # the section's anchor ("" for the introduction)
    line: str  # the section's line holding most of the query's words
    rank: int  # 0 title, 1 heading, 2 a line that begins with the query (the term it defines), 3 body


@dataclass(frozen=True)
class _Section:
    heading: str
    anchor: str
    lines: tuple[tuple[str, str], ...]  # (line as shown, lowered); the heading first
    lowered: str  # the whole section, lowered
    words: int


def plain(line: str) -> str:
    """A Markdown line as a reader sees it: links as their text, no emphasis, code or table marks."""
    text = _MARKUP.sub(lambda m: m.group(1) or " ", line)
    return " ".join(text.split())


def anchor(heading: str) -> str:
    """The fragment of a heading's link: lowercase words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def _section(heading: str, is_intro: bool, lines: list[str]) -> _Section:
    shown = [(line, line.lower()) for line in [heading, *lines]]
    lowered = "\n".join(low for _, low in shown)
    return _Section(heading, "" if is_intro else anchor(heading), tuple(shown), lowered, len(lowered.split()))


@functools.lru_cache(maxsize=1024)
def _sections(page: Searchable) -> tuple[_Section, ...]:
    """The sections of a page, worked out once per page text (pages are immutable)."""
    found: list[_Section] = []
    heading, is_intro, lines, fenced = page.title, True, [], False
    for raw in page.markdown.splitlines():
        if raw.startswith("```"):
            fenced = not fenced
            continue
        if raw.startswith("# ") and not fenced:
            continue  # the title, the introduction's heading
        if raw.startswith("##") and not fenced:
            if lines or not is_intro:
                found.append(_section(heading, is_intro, lines))
            heading, is_intro, lines = plain(raw), False, []
            continue
        text = plain(raw)
        if text and set(text) - set("- :"):
            lines.append(text)
    found.append(_section(heading, is_intro, lines))
    return tuple(found)


def words_of(query: str) -> list[str]:
    """The words a query searches for (letters, digits, underscores; two characters or more)."""
    return sorted({w for w in _WORD.findall(query.lower()) if len(w) > 1})


def search(query: str, pages: Iterable[Searchable], limit: int = LIMIT, *, every_word: bool = True) -> list[Hit]:
    """The sections of ``pages`` best matching ``query``, best first (see the module docstring)."""
    words = words_of(query)
    if not words:
        return []
    phrase = [w for w in _WORD.findall(query.lower()) if len(w) > 1]
    scored: list[tuple[tuple[float, ...], Hit]] = []
    for page in pages:
        title = page.title.lower()
        found: list[tuple[tuple[float, ...], Hit]] = []
        for section in _sections(page):
            counts = [section.lowered.count(w) for w in words]
            matched = sum(1 for c in counts if c)
            if not matched or (every_word and matched < len(words)):
                continue
            held = [w for w, c in zip(words, counts) if c]
            heading = section.lines[0][1]
            best, lowered = max(section.lines[1:] or section.lines, key=lambda line: sum(w in line[1] for w in held))
            rank = (0 if all(w in title for w in held) else 1 if all(w in heading for w in held)
                    else 2 if _WORD.findall(lowered)[:len(phrase)] == phrase else 3)
            density = sum(min(c, 10) for c in counts) / math.sqrt(max(section.words, 1))
            line = best if len(best) <= LINE_CHARS else _around(best, held[0])
            found.append(((-matched, rank, -density),
                          Hit(page.href, page.title, section.heading, section.anchor, line, rank)))
        found.sort(key=lambda pair: pair[0])
        scored.extend(found[:PER_PAGE])
    scored.sort(key=lambda pair: pair[0])
    return [hit for _, hit in scored[:limit]]


def _around(line: str, word: str, width: int = LINE_CHARS) -> str:
    at = max(0, line.lower().find(word) - width // 3)
    snippet = line[at:at + width]
    return ("… " if at else "") + snippet + (" …" if at + width < len(line) else "")
