"""The hand-written documentation: every ``docs/*.md`` and ``docs/runbooks/*.md`` as a page.

The one loader of the docs folder. /docs appends the generated references to these pages
(``engine.docs.pages``); the MCP server serves them as they are (``heartbeat://docs/{slug}``) — it sits
below the references, which describe it. Imports nothing of Heartbeat, so every layer may read it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
RUNBOOKS = "runbooks"


@dataclass(frozen=True)
class DocPage:
    slug: str  # "metrics", "runbooks/add-a-metric"
    title: str
    body: str

    @property
    def route(self) -> str:
        return f"/docs/{self.slug}"

    @property
    def is_runbook(self) -> bool:
        return self.slug.startswith(RUNBOOKS + "/")


def title_of(body: str, slug: str) -> str:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return slug.rsplit("/", 1)[-1].replace("-", " ").capitalize()


def ordered(pages: list[DocPage]) -> list[DocPage]:
    """As /docs lists them: index first, then by title, runbooks last."""
    return sorted(pages, key=lambda p: (p.slug != "index", p.is_runbook, p.title.lower()))


def read_pages(folder: Path = DOCS_DIR) -> list[DocPage]:
    """Every Markdown page of ``folder`` and its runbooks, in the order of ``ordered``."""
    pages = []
    for path in [*sorted(folder.glob("*.md")), *sorted((folder / RUNBOOKS).glob("*.md"))]:
        slug = path.relative_to(folder).with_suffix("").as_posix()
        text = path.read_text(encoding="utf-8")
        pages.append(DocPage(slug, title_of(text, slug), text))
    return ordered(pages)


@functools.cache
def shipped_pages() -> tuple[DocPage, ...]:
    """The pages of the installed docs folder, read once per process (they change only with the code)."""
    return tuple(read_pages())
