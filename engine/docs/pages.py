"""The pages of /docs: every ``docs/*.md`` and ``docs/runbooks/*.md``, with the reference generated from
the declarations appended to the hand-written page it belongs to (which becomes its introduction).

``configuration`` gets the settings declaration, ``cli`` the command's parser, ``api`` the app's
OpenAPI document, ``mcp`` the MCP server's tools (once there is one). The catalogues (metrics, cuts, sources) read the database, so they are built per
request (``engine.docs.catalogs``); ``CATALOGS`` names their routes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.docs.handwritten import DOCS_DIR, DocPage, ordered, read_pages, title_of

__all__ = ["CATALOGS", "DOCS_DIR", "DocPage", "GENERATED", "load_docs"]


def _settings() -> str:
    from engine.docs.settings_ref import settings_reference

    return settings_reference()


def _cli() -> str:
    from engine.docs.cli_ref import cli_reference

    return cli_reference()


def _api() -> str:
    from engine.docs.api_ref import api_reference

    return api_reference()


def _mcp() -> str:
    from engine.docs.mcp_ref import mcp_reference

    return mcp_reference()


# slug → the reference appended to that hand-written page (when the page exists and there is something to list).
GENERATED: dict[str, Callable[[], str]] = {"configuration": _settings, "cli": _cli, "api": _api, "mcp": _mcp}
# route → title of the catalogues generated per request from the registries.
CATALOGS: dict[str, str] = {
    "/docs/metrics/catalog": "Metric catalogue",
    "/docs/audit/catalog": "Audit cut catalogue",
    "/docs/sources/catalog": "Source catalogue",
}


def load_docs(folder: Path = DOCS_DIR, *, generated: dict[str, Callable[[], str]] | None = None) -> list[DocPage]:
    """Every hand-written page of ``folder`` (``engine.docs.handwritten``), each with its generated reference
    appended: index first, then by title, runbooks last."""
    generated = GENERATED if generated is None else generated
    pages = []
    for page in read_pages(folder):
        reference = generated[page.slug]() if page.slug in generated else ""
        if reference:
            text = page.body.rstrip() + "\n\n" + reference
            page = DocPage(page.slug, title_of(text, page.slug), text)
        pages.append(page)
    return ordered(pages)
