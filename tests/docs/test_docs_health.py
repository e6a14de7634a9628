"""Docs health: every internal link of /docs resolves — in docs/*.md, the runbooks, the generated
references and the catalogues — and the docs index reaches the catalogues and runbooks."""

from __future__ import annotations

import re
from pathlib import Path

from engine.api import create_api
from engine.docs import catalogs
from engine.docs.pages import CATALOGS, load_docs

LINK = re.compile(r"\]\((/[^)\s#]*)(#[^)\s]*)?\)")
ASSETS = Path(__file__).resolve().parents[2] / "assets"
METRIC_ID = r"[a-z][a-z0-9_]{1,62}"


def _routes() -> set[str]:
    return {"/docs", *(p.route for p in load_docs()), *CATALOGS}


def _app_routes() -> re.Pattern[str]:
    """Every page the app declares (``@page``), a dynamic segment standing for an id."""
    from heartbeat_app.pages import DECLARED

    patterns = [re.sub(r"\\\[\w+\\\]", METRIC_ID, re.escape(declared["route"])) for _, declared in DECLARED]
    return re.compile("^(" + "|".join(patterns) + ")$")


def broken_links(pages: dict[str, str], api_paths: set[str]) -> list[str]:
    routes = _routes()
    app_routes = _app_routes()
    broken = []
    for where, markdown in pages.items():
        for target, _anchor in LINK.findall(markdown):
            target = target.rstrip("/") or "/"
            if target == "/docs" or target.startswith("/docs/"):
                ok = target in routes
            else:  # a page of the app, an API route, or a static file the app serves
                ok = bool(app_routes.match(target)) or target in api_paths or (ASSETS / target[1:]).is_file()
            if not ok:
                broken.append(f"{where} → {target}")
    return broken


def _api_paths() -> set[str]:
    return {"/api/openapi.json", *create_api().openapi()["paths"]}


def test_every_internal_link_of_the_pages_and_references_resolves():
    pages = {p.route: p.body for p in load_docs()}
    pages["/docs/sources/catalog"] = catalogs.sources_catalog(None).markdown()
    assert broken_links(pages, _api_paths()) == []


def test_every_link_of_the_catalogues_resolves(docs_demo):
    engine = docs_demo.app.engine()
    pages = {c.route: c.markdown() for c in (catalogs.metrics_catalog(engine), catalogs.cuts_catalog(engine),
                                             catalogs.sources_catalog(engine))}
    assert broken_links(pages, _api_paths()) == []
    # Each metric links its page and each cut its audit page: nothing in a catalogue is a dead end.
    metrics = len(list((ASSETS.parent / "metrics").glob("*.sql")))
    assert pages["/docs/metrics/catalog"].count("](/metrics/") >= metrics


def test_the_link_check_catches_a_broken_link():
    assert broken_links({"x": "see [gone](/docs/nowhere) and [ok](/docs/cli#reference)"}, set()) == ["x → /docs/nowhere"]
    assert broken_links({"x": "[bad](/metrics/Not-An-Id) [api](/api/nope)"}, {"/api/cockpit"}) == \
        ["x → /metrics/Not-An-Id", "x → /api/nope"]


def test_the_index_reaches_every_catalogue_and_runbook():
    index = next(p for p in load_docs() if p.slug == "index").body
    runbooks = [p for p in load_docs() if p.is_runbook]
    assert len(runbooks) >= 6
    missing = [r for r in [*CATALOGS, *(p.route for p in runbooks)] if f"]({r})" not in index]
    assert missing == []
