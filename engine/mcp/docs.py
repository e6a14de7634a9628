"""The product documentation (``docs/*.md``) as MCP resources and a small section search.

A page is split at its ``##`` headings; a query scores each section by how many of its words it holds
(a word in the heading counts three times), so ``search_docs("read token")`` finds the security section.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
EXCERPT_CHARS = 320
MAX_HITS = 5
_WORD = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class DocPage:
    slug: str
    title: str
    body: str


@dataclass(frozen=True)
class Section:
    slug: str
    page_title: str
    heading: str
    anchor: str
    body: str


def _title(body: str, slug: str) -> str:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return slug.replace("-", " ").capitalize()


@functools.cache
def pages(folder: Path = DOCS_DIR) -> tuple[DocPage, ...]:
    """Every page, index first, then by title (as the app's /docs lists them)."""
    found = [DocPage(p.stem, _title(t, p.stem), t) for p in sorted(folder.glob("*.md"))
             for t in [p.read_text(encoding="utf-8")]]
    return tuple(sorted(found, key=lambda page: (page.slug != "index", page.title.lower())))


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


@functools.cache
def sections(folder: Path = DOCS_DIR) -> tuple[Section, ...]:
    found: list[Section] = []
    for page in pages(folder):
        heading, lines = page.title, []
        for line in page.body.splitlines() + ["## "]:
            if line.startswith("## "):
                body = "\n".join(lines).strip()
                if body:
                    found.append(Section(page.slug, page.title, heading, _anchor(heading), body))
                heading, lines = line[3:].strip(), []
            elif not line.startswith("# "):
                lines.append(line)
    return tuple(found)


def _excerpt(body: str, words: set[str]) -> str:
    flat = " ".join(body.split())
    lowered = flat.lower()
    starts = [lowered.find(w) for w in words if lowered.find(w) >= 0]
    start = max(0, min(starts) - 80) if starts else 0
    piece = flat[start:start + EXCERPT_CHARS]
    return ("…" if start else "") + piece + ("…" if start + EXCERPT_CHARS < len(flat) else "")


def search(query: str, folder: Path = DOCS_DIR) -> list[tuple[Section, str]]:
    """The best sections for ``query`` with an excerpt around the first match; [] when nothing matches."""
    words = {w for w in _WORD.findall(query.lower()) if len(w) > 1}
    if not words:
        return []
    scored = []
    for section in sections(folder):
        body = section.body.lower()
        heading = section.heading.lower()
        counts = {w: body.count(w) + 3 * heading.count(w) for w in words}
        matched = sum(1 for c in counts.values() if c)
        if matched:
            # Sections holding more of the query's words first, then the densest (mentions per √length,
            # so one long table does not win on length alone).
            density = sum(min(c, 10) for c in counts.values()) / math.sqrt(max(len(body.split()), 1))
            scored.append((matched, density, section))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2].slug, s[2].anchor))
    return [(section, _excerpt(section.body, words)) for _, _, section in scored[:MAX_HITS]]
