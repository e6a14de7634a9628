"""The frame of every /docs page: search (``/`` focuses it), the page list, catalogues and runbooks."""

from __future__ import annotations

import reflex as rx

from heartbeat_app.components.shell import app_shell
from heartbeat_app.state.docs import DocsSearchState

# `/` focuses the search box unless the reader is typing somewhere; Escape leaves it. Installed once
# per tab (the docs pages share it across client-side navigation).
_KEYS = """
if (!window.__hbDocsKeys) {
  window.__hbDocsKeys = true;
  document.addEventListener('keydown', function (event) {
    const box = document.getElementById('docs-search');
    if (!box) return;
    const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement.tagName)
      || document.activeElement.isContentEditable;
    if (event.key === '/' && !typing) { event.preventDefault(); box.focus(); box.select(); }
    else if (event.key === 'Escape' && document.activeElement === box) { box.blur(); }
    else if (event.key === 'Enter' && document.activeElement === box) {
      const first = document.querySelector('#docs-search-results a');
      if (first) { first.click(); }
    }
  });
}
"""


def _result(hit: rx.Var) -> rx.Component:
    return rx.link(
        rx.vstack(
            rx.text(hit["title"], weight="bold", size="3"),
            rx.text(hit["line"], size="2", color_scheme="gray", high_contrast=False),
            spacing="0",
        ),
        href=hit["href"],
        underline="none",
        on_click=DocsSearchState.clear,
        class_name="docs-search-hit",
    )


def search_box() -> rx.Component:
    return rx.vstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=18)),
            placeholder="Search the docs  ( / )",
            on_change=DocsSearchState.set_query.debounce(200),
            id="docs-search",
            size="3",
            width="100%",
            aria_label="Search the docs",
        ),
        rx.cond(
            DocsSearchState.searched,
            rx.vstack(
                rx.foreach(DocsSearchState.results, _result),
                rx.cond(DocsSearchState.results.length() == 0, rx.text("No page mentions that.", size="2")),
                id="docs-search-results",
                spacing="3",
                padding="0.75rem",
                border=f"1px solid {rx.color('gray', 6)}",
                border_radius="8px",
                width="100%",
                max_height="60vh",
                overflow_y="auto",
            ),
        ),
        rx.script(_KEYS),
        width="100%",
        spacing="2",
    )


def _group(title: str, links: list[tuple[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(title, size="2", weight="bold", color_scheme="gray", text_transform="uppercase"),
        *(rx.link(label, href=href, size="3") for label, href in links),
        spacing="2",
    )


def docs_frame(content: rx.Component, pages: list[tuple[str, str]], catalogs: list[tuple[str, str]],
               runbooks: list[tuple[str, str]]) -> rx.Component:
    """A docs page: the sidebar (search, pages, catalogues, runbooks) beside ``content``."""
    return app_shell(
        rx.hstack(
            rx.vstack(
                search_box(),
                _group("Pages", pages),
                _group("Catalogues", catalogs),
                _group("Runbooks", runbooks),
                spacing="5",
                min_width="18rem",
                max_width="22rem",
                id="docs-nav",
            ),
            rx.box(content, max_width="72rem", width="100%", class_name="doc-body"),
            align="start",
            spacing="8",
            width="100%",
        )
    )
