"""The API page cannot drift from the API: its routes come from the OpenAPI document alone.

docs/api.md is the introduction (auth, errors, repeating a request, examples); the list of routes, their
parameters and request fields is generated. A route the prose of any page names must exist, with that method;
every parameter and request field says what it means, and the rendered page shows it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.api import create_api
from engine.docs.api_ref import api_reference
from engine.docs.pages import load_docs

DOCS = Path(__file__).resolve().parents[2] / "docs"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# FastAPI's own pages, not routes of the document.
BUILT_IN = {"/api/openapi.json", "/api/docs", "/api/"}
# A path under /api/ in prose or an example, optionally after its method; not engine/api/… or tests/api/… files.
MENTION = re.compile(r"(?:\b(GET|POST|PUT|PATCH|DELETE) +`?)?(?<![\w/.])(/api/[\w{}./-]*)")


@pytest.fixture(scope="module")
def document() -> dict:
    return create_api().openapi()


def _matcher(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")


def _mentions(text: str) -> list[tuple[str | None, str]]:
    text = re.sub(r"https?://[\w.:-]+", "", text)  # http://localhost:3000/api/cockpit names /api/cockpit
    return [(method, path.rstrip(".")) for method, path in MENTION.findall(text)]


def test_every_route_the_docs_name_exists_in_the_openapi_document(document):
    operations = [(method.upper(), _matcher(path)) for path, item in document["paths"].items() for method in item]
    unknown = []
    for page in sorted([*DOCS.glob("*.md"), *DOCS.glob("runbooks/*.md")]):
        for method, path in _mentions(page.read_text()):
            if path in BUILT_IN or path.startswith("/api/docs"):
                continue
            known = [m for m, pattern in operations if pattern.match(path) or pattern.match(path.rstrip("/"))]
            if not known or (method and method not in known):
                unknown.append(f"{page.relative_to(DOCS)}: {method or ''} {path}".replace(":  ", ": "))
    assert unknown == []


def test_the_checker_catches_a_drifted_route(document):
    """The check above would fail on the drift it guards against: a renamed path or a wrong method."""
    operations = [(m.upper(), _matcher(p)) for p, item in document["paths"].items() for m in item]
    found = _mentions("See `GET /api/alert` and `DELETE /api/cockpit`, and `PATCH /api/metrics/x/thresholds`.")
    verdicts = [any(pattern.match(path) and (method is None or method == m) for m, pattern in operations)
                for method, path in found]
    assert verdicts == [False, False, True]


def test_the_api_page_has_no_hand_written_route_table():
    # Route tables belong to the generated reference; the introduction explains, it does not list.
    intro = (DOCS / "api.md").read_text()
    rows = [line for line in intro.splitlines()
            if line.startswith("|") and any(f"{m} /api/" in line for m in METHODS)]
    assert rows == []


def test_every_parameter_and_request_field_says_what_it_means(document):
    schemas = document["components"]["schemas"]
    bare = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if not (parameter.get("description") or parameter.get("schema", {}).get("description")):
                    bare.append(f"{where} {parameter['in']} {parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                model = schemas[body["$ref"].rsplit("/", 1)[-1]]
                bare += [f"{where} body {name}" for name, field in model["properties"].items()
                         if not field.get("description")]
    assert bare == []


def test_the_rendered_api_page_shows_each_meaning():
    page = next(p for p in load_docs() if p.slug == "api").body
    intro, _, reference = page.partition("## Reference (generated")
    assert "**Auth.**" in intro and "**Errors.**" in intro and "## Examples" in intro
    sections = {s.split("\n", 1)[0]: s for s in reference.split("\n### ")[1:]}
    thresholds = sections["PATCH /api/metrics/{metric_id}/thresholds"]
    assert ("| `norm_value` | no | number or null | the amber line, in the metric's unit (as its value); "
            "null removes it |") in thresholds
    assert '"norm_value": 95' in thresholds  # the model's example, drawn from the demo
    silence = sections["POST /api/alerts/silences"]
    assert "| `ends_at` | yes | string (format date-time) | when it ends: an ISO time with a zone" in silence
    assert "| `limit` | query | no | integer (minimum 1; maximum 500) | how many jobs, newest first |" in (
        sections["GET /api/jobs"])
    assert "list of string (maxLength 254) (maxItems 200) | ids of active metrics to show |" in (
        sections["PUT /api/watchlists/{name}"])
    # No parameter or request field is a bare name: every row of those tables has a meaning.
    for name, section in sections.items():
        if not name.startswith(METHODS):
            continue
        request = section.split("**Responses**")[0]
        rows = [line for line in request.splitlines() if line.startswith("| `")]
        assert [r for r in rows if r.endswith("| — |")] == [], name


def test_the_write_routes_are_grouped_with_what_they_change(document):
    reference = api_reference()
    metrics = reference.split("\n## Metrics\n")[1].split("\n## ")[0]
    assert "### PATCH /api/metrics/{metric_id}/thresholds\n" in metrics
    watchlists = reference.split("\n## Watchlists\n")[1].split("\n## ")[0]
    assert "### PUT /api/watchlists/{name}\n" in watchlists and "### DELETE /api/watchlists/{name}\n" in watchlists
    assert "\n## Operator\n" not in reference
