"""Read the cut modules of ``cuts/``: import each, check its ``META`` and ``compute``, hash it.

The folder is the only list of cuts: a new file is a new cut, a removed
file retires one. Anything wrong — a duplicate id, no ``compute``, a
malformed ``META``, an import error, an unknown metric id — is reported as
one ``CutFilesInvalid`` naming the module and the fix, before anything is
written.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from engine import contract
from engine.audit import kinds
from engine.audit.windows import DEFAULT_WINDOWS, is_window
from engine.core.errors import ConfigError
from engine.metrics.files import EMAIL

CUTS_DIR = Path(__file__).resolve().parents[2] / "cuts"
PAGES = ("overview", "clients", "journeys")
CUT_ID = re.compile(contract.METRIC_ID_PATTERN)
SOURCE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
REQUIRED = ("page", "title", "order", "kind", "metrics", "sources")
OPTIONAL = ("prose_before", "prose_after", "window_default", "windows", "owner")


class CutFilesInvalid(ConfigError):
    """One or more cut modules cannot be used; the message names each module and its fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("cuts/ not synced, registry unchanged:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class CutDefinition:
    id: str
    path: Path
    page: str
    title: str
    order: int
    kind: str
    metrics: tuple[str, ...]
    sources: tuple[str, ...]
    prose_before: str
    prose_after: str
    window_default: str
    windows: tuple[str, ...]
    owner: str | None
    compute: Callable[..., dict] = field(repr=False, compare=False)
    config_hash: str = ""


def _import(path: Path) -> Any:
    # A name of our own per file: cut modules never shadow each other or real packages.
    name = f"heartbeat_cuts.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules.pop(name, None)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _meta_problems(meta: dict, known_metrics: set[str] | None) -> list[str]:
    problems = [f"META needs '{key}'" for key in REQUIRED if key not in meta]
    problems += [f"META has unknown key '{key}' (valid: {', '.join(REQUIRED + OPTIONAL)})"
                 for key in sorted(set(meta) - set(REQUIRED) - set(OPTIONAL))]
    if problems:
        return problems
    if meta["page"] not in PAGES:
        problems.append(f"META['page'] must be one of {', '.join(PAGES)}, got {meta['page']!r}")
    if not isinstance(meta["title"], str) or not meta["title"].strip():
        problems.append("META['title'] must be a non-empty string")
    if not isinstance(meta["order"], int) or isinstance(meta["order"], bool):
        problems.append("META['order'] must be an integer (position on the page)")
    if meta["kind"] not in kinds.KINDS:
        problems.append(f"META['kind'] must be one of {', '.join(sorted(kinds.KINDS))}, got {meta['kind']!r}")
    for key in ("prose_before", "prose_after"):
        if not isinstance(meta.get(key, ""), str):
            problems.append(f"META['{key}'] must be Markdown text")
    problems += _list_problems(meta, known_metrics)
    owner = meta.get("owner")
    if owner is not None and (not isinstance(owner, str) or not EMAIL.match(owner)):
        problems.append(f"META['owner'] must be an email address or None, got {owner!r}")
    return problems


def _list_problems(meta: dict, known_metrics: set[str] | None) -> list[str]:
    problems = []
    metrics = meta["metrics"]
    if not isinstance(metrics, (list, tuple)) or not all(isinstance(m, str) for m in metrics):
        problems.append("META['metrics'] must be a list of metric ids (the metrics this cut explains)")
    elif known_metrics is not None:
        unknown = sorted(set(metrics) - known_metrics)
        if unknown:
            problems.append(f"META['metrics'] names unknown metric(s) {', '.join(unknown)}: use ids of metrics/*.sql")
    sources = meta["sources"]
    if not isinstance(sources, (list, tuple)) or not all(isinstance(s, str) and SOURCE.match(s) for s in sources):
        problems.append("META['sources'] must be a list of 'source.schema' names (e.g. 'webbank.core')")
    windows = meta.get("windows", DEFAULT_WINDOWS)
    if not isinstance(windows, (list, tuple)) or not windows or not all(is_window(w) for w in windows):
        problems.append("META['windows'] must be a non-empty list of windows like '7d', '30d'")
    elif meta.get("window_default", windows[0]) not in windows:
        problems.append(f"META['window_default'] must be one of META['windows'] ({', '.join(windows)})")
    return problems


def _hash(meta: dict, source: str) -> str:
    blob = json.dumps(meta, sort_keys=True, default=str) + "\n" + source
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_cut(path: Path, known_metrics: set[str] | None = None) -> tuple[CutDefinition | None, list[str]]:
    """One cut module: its definition, or the problems (each to be prefixed with the module's name)."""
    if not CUT_ID.match(path.stem):
        return None, [f"the file name must be a cut id ({contract.METRIC_ID_PATTERN}): rename it"]
    try:
        module = _import(path)
    except Exception as exc:  # any error of someone else's module is reported, never raised
        first = (str(exc).strip().splitlines() or [""])[0]
        return None, [f"import failed ({type(exc).__name__}: {first}): fix the module until it imports"]
    meta = getattr(module, "META", None)
    compute = getattr(module, "compute", None)
    problems = []
    if not isinstance(meta, dict):
        problems.append("no META dict: declare META = {'page': ..., 'title': ..., ...}")
    if not callable(compute):
        problems.append("no compute: define `def compute(conn, *, window: str) -> dict`")
    elif "window" not in inspect.signature(compute).parameters:
        problems.append("compute must take the keyword `window`: `def compute(conn, *, window: str) -> dict`")
    if problems:
        return None, problems
    problems = _meta_problems(meta, known_metrics)
    if problems:
        return None, problems
    windows = tuple(meta.get("windows", DEFAULT_WINDOWS))
    return CutDefinition(
        id=path.stem, path=path, page=meta["page"], title=meta["title"].strip(), order=meta["order"],
        kind=meta["kind"], metrics=tuple(meta["metrics"]), sources=tuple(meta["sources"]),
        prose_before=meta.get("prose_before", "").strip(), prose_after=meta.get("prose_after", "").strip(),
        window_default=meta.get("window_default", windows[0]), windows=windows, owner=meta.get("owner"),
        compute=compute, config_hash=_hash(meta, path.read_text()),
    ), []


def load_directory(folder: Path = CUTS_DIR, known_metrics: Iterable[str] | None = None) -> list[CutDefinition]:
    """Every cut of ``folder`` (``*.py`` not starting with ``_``); CutFilesInvalid if any is broken."""
    known = set(known_metrics) if known_metrics is not None else None
    definitions, problems = [], []
    if not folder.is_dir():
        raise CutFilesInvalid([f"{folder}: no such folder: create it, one module per cut"])
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        definition, errors = load_cut(path, known)
        problems += [f"cuts/{path.name}: {error}" for error in errors]
        if definition is not None:
            definitions.append(definition)
    problems += _duplicate_positions(definitions)
    if problems:
        raise CutFilesInvalid(problems)
    return definitions


def _duplicate_positions(definitions: list[CutDefinition]) -> list[str]:
    # The id is the file name, so ids cannot collide; two cuts claiming the same place on a page can.
    seen: dict[tuple[str, int], str] = {}
    problems = []
    for d in definitions:
        other = seen.setdefault((d.page, d.order), d.id)
        if other != d.id:
            problems.append(f"cuts/{d.id}.py: META['order'] {d.order} on page {d.page} is taken by "
                            f"cuts/{other}.py: give one of them another order")
    return problems
