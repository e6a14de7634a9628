"""The product documentation, rendered from docs/*.md.

The files are read once when the app is built (not in an event handler), so
a docs page costs the server nothing at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import reflex as rx

from heartbeat_app.components.shell import app_shell
from heartbeat_app.pages.route import page
from heartbeat_app.state.shell import ShellState

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


@dataclass(frozen=True)
class DocPage:
    slug: str
    title: str
    body: str


def _title(body: str, slug: str) -> str:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return slug.replace("-", " ").capitalize()


def load_docs(folder: Path = DOCS_DIR) -> list[DocPage]:
    """Every Markdown page of ``folder``, index first, then by title."""
    pages = [
        DocPage(path.stem, _title(text, path.stem), text)
        for path in sorted(folder.glob("*.md"))
        for text in [path.read_text(encoding="utf-8")]
    ]
    return sorted(pages, key=lambda page: (page.slug != "index", page.title.lower()))


def _sidebar(pages: list[DocPage]) -> rx.Component:
    return rx.vstack(
        *(rx.link(page.title, href=f"/docs/{page.slug}", size="3") for page in pages),
        spacing="2",
        min_width="16rem",
        id="docs-nav",
    )


def doc_view(page: DocPage, pages: list[DocPage]) -> rx.Component:
    return app_shell(
        rx.hstack(
            _sidebar(pages),
            rx.box(rx.markdown(page.body), max_width="60rem", class_name="doc-body"),
            align="start",
            spacing="8",
        )
    )


def _register(pages: list[DocPage]) -> None:
    """One route per Markdown page, and /docs for the first (the index)."""
    for doc in pages:
        page(route=f"/docs/{doc.slug}", title=f"Heartbeat docs — {doc.title}", on_load=ShellState.load_shell)(
            lambda doc=doc: doc_view(doc, pages))
    if pages:
        page(route="/docs", title="Heartbeat docs", on_load=ShellState.load_shell)(lambda: doc_view(pages[0], pages))


_register(load_docs())
