"""The state of /docs: a catalogue read from the registries when its page opens (with its filters),
and search across every page and catalogue."""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from engine import runtime
from engine.docs import catalogs, corpus
from engine.docs.search import search

log = logging.getLogger(__name__)
ALL = "all"


def _facets(values: list[str]) -> list[str]:
    return [ALL, *sorted({v for v in values if v})]


class CatalogState(rx.State):
    """One catalogue page: its entries as read when the page opened, and the filters the reader chose."""

    title: str = ""
    intro: str = ""
    facet: str = "Tag"
    entries: list[dict[str, str]] = []
    tag: str = ALL
    owner: str = ALL
    status: str = ALL
    tags: list[str] = [ALL]
    owners: list[str] = [ALL]
    statuses: list[str] = [ALL]
    problem: str = ""
    loaded: bool = False

    def _show(self, catalog: catalogs.Catalog) -> None:
        self.title, self.intro, self.problem, self.loaded = catalog.title, catalog.intro, "", True
        self.facet = catalog.facet
        self.entries = [
            {"id": e.id, "title": e.title, "markdown": e.markdown, "tags": "," + ",".join(e.tags) + ",",
             "owner": e.owner, "status": e.status}
            for e in catalog.entries
        ]
        self.tags = _facets([t for e in catalog.entries for t in e.tags])
        self.owners = _facets([e.owner for e in catalog.entries])
        self.statuses = _facets([e.status for e in catalog.entries])
        self.tag = self.owner = self.status = ALL

    async def _load(self, build, title: str):
        self.loaded = False
        try:
            catalog = await asyncio.to_thread(build, runtime.get().db.engine())
        except Exception:
            log.exception("building the %s failed", title)
            self.title, self.entries, self.loaded = title, [], True
            self.problem = (f"The {title.lower()} could not be read from the database just now; "
                            "it lists the registry, so try again once the database answers.")
            return
        self._show(catalog)

    @rx.event
    async def load_metrics(self):
        await self._load(catalogs.metrics_catalog, "Metric catalogue")

    @rx.event
    async def load_cuts(self):
        await self._load(catalogs.cuts_catalog, "Audit cut catalogue")

    @rx.event
    async def load_sources(self):
        await self._load(catalogs.sources_catalog, "Source catalogue")

    @rx.event
    def set_tag(self, value: str):
        self.tag = value

    @rx.event
    def set_owner(self, value: str):
        self.owner = value

    @rx.event
    def set_status(self, value: str):
        self.status = value

    @rx.var
    def shown(self) -> list[dict[str, str]]:
        return [
            e for e in self.entries
            if (self.tag == ALL or f",{self.tag}," in e["tags"])
            and (self.owner == ALL or e["owner"] == self.owner)
            and (self.status == ALL or e["status"] == self.status)
        ]

    @rx.var
    def count_text(self) -> str:
        shown, total = len(self.shown), len(self.entries)
        return f"{total} listed" if shown == total else f"{shown} of {total} shown"


def _search(query: str) -> list[dict[str, str]]:
    try:
        engine = runtime.get().db.engine()
    except Exception:
        engine = None
    return [{"href": h.href, "title": h.title, "line": h.line} for h in search(query, corpus.searchables(engine))]


class DocsSearchState(rx.State):
    """The search box of every docs page: ``/`` focuses it, results list the matching line."""

    query: str = ""
    results: list[dict[str, str]] = []

    @rx.event
    async def set_query(self, value: str):
        self.query = value[:200]
        if len(self.query.strip()) < 2:
            self.results = []
            return
        try:
            self.results = await asyncio.to_thread(_search, self.query)
        except Exception:
            log.exception("docs search failed")
            self.results = [{"href": "/docs", "title": "Search failed", "line": "try again in a moment"}]

    @rx.var
    def searched(self) -> bool:
        return len(self.query.strip()) >= 2

    @rx.event
    def clear(self):
        self.query, self.results = "", []
