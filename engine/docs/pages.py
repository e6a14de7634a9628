"""The pages of /docs: every ``docs/*.md`` and ``docs/runbooks/*.md``, with the reference generated from
the declarations appended to the hand-written page it belongs to (which becomes its introduction).

``configuration`` gets the settings declaration, ``cli`` the command's parser, ``api`` the app's
OpenAPI document, ``mcp`` the MCP server's tools (once there is one). The catalogues (metrics, cuts, sources) read the database, so they are built per
request (``engine.docs.catalogs``); ``CATALOGS`` names their routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
RUNBOOKS = "runbooks"


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


def load_docs(folder: Path = DOCS_DIR, *, generated: dict[str, Callable[[], str]] | None = None) -> list[DocPage]:
    """Every Markdown page of ``folder`` and its runbooks: index first, then by title, runbooks last."""
    generated = GENERATED if generated is None else generated
    pages = []
    for path in [*sorted(folder.glob("*.md")), *sorted((folder / RUNBOOKS).glob("*.md"))]:
        slug = path.relative_to(folder).with_suffix("").as_posix()
        text = path.read_text(encoding="utf-8")
        reference = generated[slug]() if slug in generated else ""
        if reference:
            text = text.rstrip() + "\n\n" + reference
        pages.append(DocPage(slug, title_of(text, slug), text))
    return sorted(pages, key=lambda p: (p.slug != "index", p.is_runbook, p.title.lower()))
