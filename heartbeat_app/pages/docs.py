"""The product documentation: docs/*.md and docs/runbooks/*.md (with the generated references appended
to configuration, cli and api), and the catalogues read from the registries when they open.

The Markdown pages are built once when the app is built (they change only with the code); the
catalogues are read per visit through ``CatalogState``.
"""

from __future__ import annotations

import reflex as rx

from engine.docs.pages import CATALOGS, DocPage, load_docs
from heartbeat_app.components.docs_layout import docs_frame
from heartbeat_app.pages.route import page
from heartbeat_app.state.docs import CatalogState
from heartbeat_app.state.shell import ShellState


def _runbook_label(title: str) -> str:
    label = title.removeprefix("Runbook: ")
    return label[:1].upper() + label[1:]


def _frame(content: rx.Component, pages: list[DocPage]) -> rx.Component:
    return docs_frame(
        content,
        [(p.title, p.route) for p in pages if not p.is_runbook],
        [(title, route) for route, title in CATALOGS.items()],
        [(_runbook_label(p.title), p.route) for p in pages if p.is_runbook],
    )


def doc_view(doc: DocPage, pages: list[DocPage]) -> rx.Component:
    return _frame(rx.markdown(doc.body), pages)


def _filter(name: str, label: rx.Var | str, items: rx.Var, value: rx.Var, on_change) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="3", weight="medium"),
        rx.select(items, value=value, on_change=on_change, size="3", id=f"catalog-filter-{name}"),
        align="center",
        spacing="2",
    )


def _entry(entry: rx.Var) -> rx.Component:
    # Registry text can quote data (a computation's or a sync's error): never as HTML, never as maths.
    return rx.box(rx.markdown(entry["markdown"], use_raw=False, use_math=False, use_katex=False),
                  id=entry["id"], class_name="catalog-entry",
                  padding_bottom="1.5rem", border_bottom=f"1px solid {rx.color('gray', 5)}", width="100%")


def catalog_view(pages: list[DocPage]) -> rx.Component:
    content = rx.vstack(
        rx.heading(CatalogState.title, size="8", as_="h1"),
        rx.cond(
            CatalogState.loaded,
            rx.vstack(
                rx.cond(CatalogState.problem != "", rx.callout(CatalogState.problem, icon="triangle-alert",
                                                                color_scheme="red", size="3")),
                rx.markdown(CatalogState.intro, use_raw=False, use_math=False, use_katex=False),
                rx.hstack(
                    _filter("tag", CatalogState.facet, CatalogState.tags, CatalogState.tag, CatalogState.set_tag),
                    _filter("owner", "Owner", CatalogState.owners, CatalogState.owner, CatalogState.set_owner),
                    _filter("status", "Status", CatalogState.statuses, CatalogState.status,
                            CatalogState.set_status),
                    rx.text(CatalogState.count_text, size="3", color_scheme="gray", id="catalog-count"),
                    spacing="6",
                    align="center",
                    wrap="wrap",
                ),
                rx.foreach(CatalogState.shown, _entry),
                spacing="5",
                width="100%",
                id="catalog-entries",
            ),
            rx.text("Reading the registry…", size="4"),
        ),
        spacing="4",
        width="100%",
    )
    return _frame(content, pages)


def _register(pages: list[DocPage]) -> None:
    """One route per Markdown page, /docs for the index, and the three catalogues."""
    for doc in pages:
        page(route=doc.route, title=f"Heartbeat docs — {doc.title}", on_load=ShellState.load_shell)(
            lambda doc=doc: doc_view(doc, pages))
    if pages:
        page(route="/docs", title="Heartbeat docs", on_load=ShellState.load_shell)(lambda: doc_view(pages[0], pages))
    loaders = {"/docs/metrics/catalog": CatalogState.load_metrics, "/docs/audit/catalog": CatalogState.load_cuts,
               "/docs/sources/catalog": CatalogState.load_sources}
    for route, title in CATALOGS.items():
        page(route=route, title=f"Heartbeat docs — {title}", on_load=[ShellState.load_shell, loaders[route]])(
            lambda: catalog_view(pages))


_register(load_docs())
