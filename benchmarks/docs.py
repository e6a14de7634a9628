"""Docs benchmark (issue #14): what a catalogue page and a search cost on a landed demo.

Run on demand (not a test): `.venv/bin/python benchmarks/docs.py [--scale 0.05] [--repeat 20]`.
It builds and lands the demo (scratch databases on the embedded server, dropped afterwards), computes
every metric and registers the cuts, then times: building the pages with their generated references
(once per process), each catalogue as its page reads it (registry reads, per visit), the search corpus
with the catalogue entries (at most once a minute) and single queries. Targets: a catalogue ≤ 300 ms,
a query ≤ 50 ms. Exit code 1 when one is missed.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from engine.audit import registry as cut_registry  # noqa: E402
from engine.core.db import open_database  # noqa: E402
from engine.core.settings import load_settings  # noqa: E402
from engine.docs import catalogs  # noqa: E402
from engine.docs.corpus import catalog_entries  # noqa: E402
from engine.docs.pages import load_docs  # noqa: E402
from engine.docs.search import Searchable, search  # noqa: E402
from engine.metrics import compute, registry  # noqa: E402
from engine.metrics.compute import ComputeContext  # noqa: E402
from tests.support import demo as demo_support  # noqa: E402

CATALOG_MS, QUERY_MS = 300.0, 50.0
QUERIES = ("decline reasons", "operator token", "stale", "heartbeat metric new", "webbank", "owner verified")
console = Console()


class _Temp:
    """The one method of pytest's TempPathFactory the demo helper uses."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=name, dir=self.root))


def timed(fn, repeat: int) -> tuple[float, float]:
    """(median, max) milliseconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    server = open_database(load_settings({"HEARTBEAT_DATA_DIR": str(ROOT / ".heartbeat" / "bench")}))
    with tempfile.TemporaryDirectory() as work:
        start = time.perf_counter()
        with _landed(server, _Temp(Path(work)), args.scale) as landed:
            console.print(f"demo landed at scale {args.scale} in {time.perf_counter() - start:.0f} s")
            engine = landed.app.engine()
            cut_registry.sync(engine, ROOT / "cuts")
            ctx = ComputeContext(landed.app, landed.marts, statement_timeout=60.0, workers=2)
            compute.compute_many(ctx, [m.id for m in registry.active_metrics(engine)])
            rows = []
            pages_ms = timed(lambda: load_docs(), 3)
            rows.append(("pages + generated references (per process)", *pages_ms, None))
            for name, build in (("metric catalogue", catalogs.metrics_catalog), ("cut catalogue", catalogs.cuts_catalog),
                                ("source catalogue", catalogs.sources_catalog)):
                rows.append((f"{name} (per visit)", *timed(lambda build=build: build(engine), args.repeat), CATALOG_MS))
            rows.append(("search corpus: catalogue entries (≤ once a minute)",
                         *timed(lambda: catalog_entries(engine), 5), None))
            corpus = [Searchable(p.route, p.title, p.body) for p in load_docs()] + catalog_entries(engine)
            size = sum(len(s.markdown) for s in corpus)
            query = timed(lambda: [search(q, corpus) for q in QUERIES], args.repeat)
            rows.append((f"one query ({len(corpus)} pages and entries, {size / 1024:.0f} KiB)",
                         query[0] / len(QUERIES), query[1] / len(QUERIES), QUERY_MS))
    table = Table(title=f"docs on {platform.node()} ({platform.processor() or platform.machine()})")
    for column in ("what", "median ms", "max ms", "target ms"):
        table.add_column(column)
    missed = False
    for what, median, worst, target in rows:
        over = target is not None and median > target
        missed |= over
        table.add_row(what, f"{median:.1f}", f"{worst:.1f}", "—" if target is None else
                      f"{'[red]' if over else ''}≤ {target:.0f}")
    console.print(table)
    return 1 if missed else 0


def _landed(server, temp, scale):
    original = demo_support.build_demo

    def build(*a, **kw):
        kw["scale"] = scale
        return original(*a, **kw)

    demo_support.build_demo = build
    return demo_support.landed_demo(server, temp, "bench_docs")


if __name__ == "__main__":
    sys.exit(main())
