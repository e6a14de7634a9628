"""The REST API reference, rendered natively from the app's own OpenAPI document (no CDN, no script).

Routes are grouped by tag; each says its method and path, what it does, who may call it (read from
the route's dependencies, so a new write route can never be listed as open), its parameters, the
schema of its request body, every status it answers with the body of each, and the response model of
its success with its fields and the model's example. The models the responses name follow, once each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from engine.docs.markdown import cell, code, table

METHODS = ("get", "post", "put", "patch", "delete")
OPEN_ROUTES = {"/api/health"}  # answers without any token: a load balancer asks it (docs/security.md)
OPERATOR = "operator token (`Authorization: Bearer $HEARTBEAT_OPERATOR_TOKEN`)"
READER = "read token when `HEARTBEAT_READ_TOKEN` is set (else open)"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    tag: str
    operation: dict[str, Any]
    auth: str


def _needs_operator(route: APIRoute) -> bool:
    from engine.api.deps import require_operator

    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is require_operator:
            return True
        pending.extend(dependency.dependencies)
    return False


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every FastAPI route under ``routes``, included routers unfolded."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.16x keeps it whole)
            found.extend(api_routes(route.original_router.routes))
        elif hasattr(route, "routes"):
            found.extend(api_routes(route.routes))
    return found


def operator_operations(api: FastAPI) -> set[str]:
    """The operation ids whose route depends on the operator token (directly or through another dependency)."""
    return {route.unique_id for route in api_routes(api.routes) if _needs_operator(route)}


def routes(document: dict[str, Any], operator_ids: set[str]) -> list[Route]:
    """Every operation of the document, in its order, with who may call it."""
    def who(path: str, operation: dict[str, Any]) -> str:
        if operation.get("operationId") in operator_ids:
            return OPERATOR
        return "anyone" if path in OPEN_ROUTES else READER

    return [
        Route(method, path, (operation.get("tags") or ["other"])[0], operation, who(path, operation))
        for path, item in document.get("paths", {}).items()
        for method in METHODS
        if (operation := item.get(method)) is not None
    ]


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def example(schema: dict[str, Any], document: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value for ``schema``: its example or default, else one built from its type."""
    schema = _resolve(schema, document)
    for key in ("example", "default"):
        if key in schema and schema[key] is not None:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if depth > 4:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], document, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: example(sub, document, depth + 1) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema.get("items", {}), document, depth + 1)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return schema.get("minimum", 1.5)
    if kind == "boolean":
        return True
    if kind == "string":
        return {"date": "2026-12-31", "date-time": "2026-12-31T12:00:00Z"}.get(schema.get("format", ""), "text")
    return None


def _type(schema: dict[str, Any], document: dict[str, Any]) -> str:
    if "$ref" in schema:
        named = _resolve(schema, document)
        # A named enum (contract.Status, …) reads better spelled out where it is used.
        return _type(named, document) if "enum" in named else schema["$ref"].rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_type(s, document) for s in schema[key])
    if "const" in schema:
        return json.dumps(schema["const"])
    if not schema:
        return "any JSON"
    kind = schema.get("type", "any")
    if kind == "array":
        counts = [f"{k} {schema[k]}" for k in ("minItems", "maxItems") if k in schema]
        return f"list of {_type(schema.get('items', {}), document)}" + (f" ({'; '.join(counts)})" if counts else "")
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict) and not schema.get("properties"):
        return f"map of key → {_type(schema['additionalProperties'], document)}"
    limits = [f"{k} {schema[k]}" for k in ("format", "minimum", "maximum", "minLength", "maxLength", "pattern")
              if k in schema]
    if "enum" in schema:
        limits.append("one of " + ", ".join(str(v) for v in schema["enum"]))
    return kind + (f" ({'; '.join(limits)})" if limits else "")


def _fields(schema: dict[str, Any], document: dict[str, Any], required_label: str) -> str:
    """A field table of an object schema: name, whether it is required (or always there), type, meaning."""
    required = set(schema.get("required", []))
    rows = [
        (code(name), "yes" if name in required else "no", _type(sub, document),
         sub.get("description") or _resolve(sub, document).get("description", "") if "$ref" in sub
         else sub.get("description", ""))
        for name, sub in schema.get("properties", {}).items()
    ]
    return table(("Field", required_label, "Type", "Meaning"), rows) if rows else ""


def _json(value: Any) -> str:
    return "```json\n" + json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n```"


def _parameters(operation: dict[str, Any], document: dict[str, Any]) -> str:
    rows = [
        (code(p["name"]), p["in"], "yes" if p.get("required") else "no", _type(p.get("schema", {}), document),
         p.get("description") or p.get("schema", {}).get("description", ""))
        for p in operation.get("parameters", [])
    ]
    return table(("Parameter", "In", "Required", "Type", "Meaning"), rows) if rows else ""


def _body(operation: dict[str, Any], document: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return ""
    raw = content.get("schema", {})
    name = raw.get("$ref", "body").rsplit("/", 1)[-1]
    parts = [f"**Request body** (`application/json`, {name})"]
    fields = _fields(_resolve(raw, document), document, "Required")
    if fields:
        parts.append(fields)
    parts.append("Example:\n\n" + _json(example(raw, document)))
    return "\n\n".join(parts)


def _schema_of(response: dict[str, Any]) -> dict[str, Any]:
    return response.get("content", {}).get("application/json", {}).get("schema", {})


def _shape(schema: dict[str, Any], document: dict[str, Any]) -> str:
    """The body column of the responses table: the model's name and, for a small one, its fields."""
    if schema in ({}, {"type": "string"}):
        return "JSON"
    resolved = _resolve(schema, document)
    fields = list(resolved.get("properties", {}))
    shown = _type(schema, document)
    return shown + (" " + code("{" + ", ".join(fields) + "}") if fields and len(fields) <= 3 else "")


def _meaning(response: dict[str, Any], document: dict[str, Any]) -> str:
    """Why a status is answered: the route's words, or for FastAPI's stock "Successful Response" the
    first sentence of the model's own description."""
    said = response.get("description", "")
    model = _resolve(_schema_of(response), document).get("description", "")
    if said == "Successful Response" and model:
        return model.split(": ")[0].split(". ")[0].rstrip(".")
    return said


def _responses(operation: dict[str, Any], document: dict[str, Any]) -> str:
    rows = [(code(status), _meaning(response, document), _shape(_schema_of(response), document))
            for status, response in sorted(operation.get("responses", {}).items())]
    return "**Responses**\n\n" + table(("Status", "Meaning", "Body"), rows) if rows else ""


def _success_bodies(operation: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Per success status: the response model, its fields with their types and meanings, an example."""
    parts: list[str] = []
    seen: set[str] = set()
    for status, response in operation.get("responses", {}).items():
        raw = _schema_of(response)
        if not status.startswith("2") or not raw or raw.get("$ref") in seen:
            continue
        seen.add(raw.get("$ref", ""))
        schema = _resolve(raw, document)
        statuses = ", ".join(code(s) for s, r in operation["responses"].items()
                             if s.startswith("2") and _schema_of(r) == raw)
        parts.append(f"**Response body** ({statuses}, `application/json`, {_type(raw, document)})"
                     + (f": {cell(schema['description'])}" if schema.get("description") else ""))
        fields = _fields(schema, document, "Always there")
        if fields:
            parts.append(fields)
        parts.append("Example:\n\n" + _json(example(raw, document)))
    return parts


def _section(route: Route, document: dict[str, Any]) -> str:
    op = route.operation
    parts = [f"### {route.method.upper()} {route.path}", cell(op.get("summary", "")), f"**Who may call it:** {route.auth}"]
    if op.get("description") and op["description"] != op.get("summary"):
        parts.append(op["description"].strip())
    parts += [p for p in (_parameters(op, document), _body(op, document), _responses(op, document)) if p]
    parts += _success_bodies(op, document)
    return "\n\n".join(parts)


def _referenced(schema: Any, document: dict[str, Any], found: dict[str, None]) -> None:
    """The component names ``schema`` refers to, transitively, in the order first met."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if name not in found:
                found[name] = None
                _referenced(document["components"]["schemas"][name], document, found)
        for value in schema.values():
            _referenced(value, document, found)
    elif isinstance(schema, list):
        for value in schema:
            _referenced(value, document, found)


def _schemas(found: list[Route], document: dict[str, Any]) -> str:
    """Every model a response refers to, once, with its fields: the types the route sections name."""
    names: dict[str, None] = {}
    for route in found:
        _referenced(route.operation.get("responses", {}), document, names)
    parts = ["## Response schemas",
             "Every model the responses above name, with its fields. *Always there: no* — the field may be "
             "absent from the answer."]
    for name in names:
        schema = document["components"]["schemas"][name]
        if "enum" in schema:
            continue  # spelled out where it is used
        parts.append(f"### {name}")
        if schema.get("description"):
            parts.append(cell(schema["description"]))
        fields = _fields(schema, document, "Always there")
        parts.append(fields or _type(schema, document))
    return "\n\n".join(parts)


def api_reference(api: FastAPI | None = None) -> str:
    """The whole reference: an index of routes, then one section per route, grouped by tag."""
    if api is None:
        from engine.api import create_api

        api = create_api()
    document = api.openapi()
    found = routes(document, operator_operations(api))
    tags = list(dict.fromkeys(r.tag for r in found))
    parts = [
        "## Reference (generated from the OpenAPI document)",
        f"{len(found)} routes, rendered from [`/api/openapi.json`](/api/openapi.json) "
        f"({document['info']['title']} {document['info']['version']}) each time this page is built.",
        table(("Method", "Path", "Group", "Who may call it", "What it does"),
              [(r.method.upper(), code(r.path), r.tag, "operator" if r.auth == OPERATOR else
                ("anyone" if r.auth == "anyone" else "reader"), r.operation.get("summary", "")) for r in found]),
    ]
    for tag in tags:
        parts.append(f"## {tag.capitalize()}")
        parts += [_section(r, document) for r in found if r.tag == tag]
    parts.append(_schemas(found, document))
    return "\n\n".join(parts) + "\n"
