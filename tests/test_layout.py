"""The layers of docs/architecture.md hold: imports only point down, and there is no circle anywhere.

Every import counts — at module top, inside a function, or under ``TYPE_CHECKING`` — and
``from engine import x`` is read as the module ``engine.x``, not as ``engine``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "heartbeat_app")

# Which layer may import which (besides itself). A layer is a package or a module; the longest
# name that prefixes a module is its layer. Read it bottom up: the pipeline in the order data flows.
LAYERS: dict[str, set[str]] = {
    "engine.contract": set(),
    "engine.core": set(),
    "engine.store": {"engine.core"},
    "engine.sources": {"engine.core"},
    "engine.ingest": {"engine.sources", "engine.store", "engine.core"},
    "engine.metrics": {"engine.contract", "engine.sources", "engine.ingest.ledger", "engine.store", "engine.core"},
    "engine.audit": {"engine.metrics", "engine.read", "engine.ingest.ledger", "engine.store", "engine.core",
                     "engine.contract"},
    "engine.discover": {"engine.metrics", "engine.sources", "engine.contract", "engine.core"},
    "engine.read": {"engine.contract", "engine.core"},
    "engine.refresh": {"engine.metrics", "engine.ingest", "engine.sources", "engine.store", "engine.core"},
    "engine.alerts": {"engine.read", "engine.ingest.ledger", "engine.contract", "engine.core"},
    "engine.runtime": {"engine.audit", "engine.refresh", "engine.alerts", "engine.metrics", "engine.ingest",
                       "engine.sources", "engine.read", "engine.store", "engine.core", "engine.contract"},
    "engine.mcp": {"engine.read", "engine.audit.read", "engine.docs.handwritten", "engine.docs.search", "engine.ingest.ledger", "engine.runtime", "engine.core",
                   "engine.contract"},
    "engine.api": {"engine.mcp", "engine.audit", "engine.runtime", "engine.refresh", "engine.alerts", "engine.metrics",
                   "engine.read", "engine.store", "engine.core", "engine.contract"},
    "engine.demo.session": {"engine.runtime", "engine.refresh", "engine.metrics", "engine.ingest", "engine.demo",
                            "engine.store", "engine.core"},
    "engine.demo": {"engine.core"},
    "engine.cli": {"engine.mcp", "engine.discover", "engine.audit", "engine.runtime", "engine.demo", "engine.refresh", "engine.alerts",
                   "engine.metrics", "engine.ingest", "engine.sources", "engine.read", "engine.store", "engine.core", "engine.contract"},
    # The docs folder's pages and the one search over them: below engine.mcp, which serves and searches them.
    "engine.docs.handwritten": set(),
    "engine.docs.search": set(),
    # /docs beyond docs/*.md: references generated from the declarations, catalogues from the registries.
    "engine.docs": {"engine.docs.handwritten", "engine.docs.search", "engine.mcp", "engine.api", "engine.cli", "engine.audit.read", "engine.read", "engine.sources", "engine.core",
                    "engine.contract"},
    # The UI, by role: pure display below state, components above state, pages on top.
    "heartbeat_app.display": {"engine.audit.kinds", "engine.contract", "engine.core", "engine.read"},
    "heartbeat_app.sessions": set(),
    "heartbeat_app.launch": set(),
    "heartbeat_app.app": {"engine.api", "engine.runtime", "heartbeat_app.sessions"},
    "heartbeat_app.state": {"engine.docs", "heartbeat_app.app", "heartbeat_app.sessions", "heartbeat_app.display", "engine.read",
                            "engine.runtime", "engine.refresh", "engine.metrics.edits", "engine.audit.read",
                            "engine.audit.edits", "engine.alerts.config", "engine.alerts.silences",
                            "engine.core", "engine.contract"},
    "heartbeat_app.components": {"heartbeat_app.state", "heartbeat_app.display", "engine.read", "engine.core",
                                 "engine.contract"},
    "heartbeat_app.pages": {"engine.docs", "heartbeat_app.components", "heartbeat_app.state", "heartbeat_app.display",
                            "engine.core"},
    "heartbeat_app.heartbeat_app": {"heartbeat_app.app", "heartbeat_app.pages"},
    "heartbeat_app": set(),
    "engine": set(),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _known(name: str) -> str:
    """The module an import refers to: the name itself, or the longest module that prefixes it."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))):
        if isinstance(node, ast.Import):
            found.update(_known(alias.name) for alias in node.names if alias.name.split(".")[0] in PACKAGES)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:  # `from engine import x` imports the module engine.x when there is one
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else _known(node.module))
    found.discard("")
    found.discard(module)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def layer_of(module: str) -> str:
    return max((layer for layer in LAYERS if module == layer or module.startswith(layer + ".")), key=len)


def _allowed(source: str, target: str) -> bool:
    if layer_of(source) == layer_of(target):
        return True
    return any(target == rule or target.startswith(rule + ".") for rule in LAYERS[layer_of(source)])


def test_every_module_has_a_layer():
    # A new top-level package must be placed in the table before it can import anything.
    unplaced = sorted(m for m in MODULES if layer_of(m) in PACKAGES and m not in PACKAGES
                      and m != "heartbeat_app.heartbeat_app")
    assert unplaced == [], f"add these to LAYERS in tests/test_layout.py and docs/architecture.md: {unplaced}"


def test_imports_only_point_down_the_layers():
    offences = [
        f"{source} imports {target}: layer {layer_of(source)} may import only "
        f"{', '.join(sorted(LAYERS[layer_of(source)])) or 'itself'}"
        for source, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if not _allowed(source, target)
    ]
    assert offences == [], "\n".join(offences)


def _circles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles():
    circles = _circles()
    described = []
    for component in circles:
        members = set(component)
        pairs = [f"{a} → {b}" for a in component for b in sorted(GRAPH[a] & members)]
        described.append("circle: " + "; ".join(pairs))
    assert circles == [], "\n".join(described)


def _layer_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for source, targets in GRAPH.items():
        for target in targets:
            if layer_of(source) != layer_of(target):
                edges[layer_of(source)].add(layer_of(target))
    return edges


def test_engine_never_imports_the_ui_or_reflex():
    # The engine serves the CLI, the scheduler and the API without a UI toolkit.
    offenders = []
    for module, path in MODULES.items():
        if not module.startswith("engine"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            offenders += [f"{module} imports {n}" for n in names if n.split(".")[0] in ("heartbeat_app", "reflex")]
    assert offenders == []


@pytest.mark.parametrize("source, target, expected", [
    ("engine.refresh.job", "engine.alerts", False),        # refresh never knows alerting
    ("engine.alerts.evaluate", "engine.refresh", False),   # nor alerting the job
    ("engine.sources.locations", "engine.ingest", False),  # the catalogue sits below ingest
    ("engine.metrics.compute", "engine.ingest.ledger", True),
    ("engine.metrics.compute", "engine.ingest.pipeline", False),
    ("heartbeat_app.display.tiles", "heartbeat_app.state", False),
    ("heartbeat_app.state.cockpit", "heartbeat_app.app", True),
])
def test_the_rule_reads_as_documented(source, target, expected):
    assert _allowed(source, target) is expected


def test_layers_form_no_circle_either():
    edges = _layer_graph()
    for layer, targets in edges.items():
        for target in targets:
            assert layer not in edges.get(target, set()), f"layers {layer} and {target} import each other"
