"""Discovery benchmark (issue #18): profiling + proposal + backtest over a landed scale-1 demo.

Run on demand (not a test), against a data dir where a scale-1 demo has been landed::

    HEARTBEAT_DATA_DIR=/tmp/hbdemo1 .venv/bin/heartbeat demo --no-serve --scale 1   # once, ~5 min
    .venv/bin/python benchmarks/discover.py [--data-dir /tmp/hbdemo1]

Discovery runs into a scratch copy of metrics/ (the repository's metrics/proposed/ is left alone), so the
hand-written metrics are skipped by id as in real use. Prints the number of proposals, the planted incidents
caught within two days, and the false alarms of every proposal; checks the targets of issue #18: total
≤ 2 min, peak RSS of this process ≤ 500 MB (the database server's memory is not counted). Exit code 1
when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOTAL_TARGET_SECONDS = 120.0
RSS_TARGET_MB = 500.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("HEARTBEAT_DATA_DIR", "/tmp/hbdemo1"),
                        help="data dir of a landed demo (default: $HEARTBEAT_DATA_DIR or /tmp/hbdemo1)")
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir).expanduser().resolve()
    os.environ["HEARTBEAT_DATA_DIR"] = str(data_dir)

    from rich.console import Console
    from rich.table import Table

    from engine import runtime
    from engine.cli.discover import known_incidents
    from engine.discover.run import discover
    from engine.metrics.compute import ComputeContext

    console = Console()
    rt = runtime.get()
    ctx = ComputeContext.from_settings(rt.settings, rt.db)
    incidents = known_incidents(rt.db)
    console.print(f"data dir {data_dir}; {os.cpu_count()} cores, Python {platform.python_version()}; "
                  f"{len(incidents)} known incidents; {ctx.workers} workers")
    with tempfile.TemporaryDirectory(prefix="hb-discover-bench-") as scratch:
        metrics_dir = Path(scratch)
        for path in rt.settings.metrics_dir.glob("*.sql"):
            shutil.copy(path, metrics_dir / path.name)
        started = time.perf_counter()
        found = discover(ctx, metrics_dir, incidents, on_step=lambda m: console.print(f"[dim]{m}[/]"))
        total = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    table = Table(title=f"{len(found.proposals)} proposals, ranked")
    for column in ("#", "proposal", "caught (days late)", "false reds/month", "false ambers/week", "normal days",
                   "duplicate of"):
        table.add_column(column, no_wrap=column == "proposal")
    for rank, proposal in enumerate(found.proposals, start=1):
        r = proposal.result
        table.add_row(str(rank), proposal.candidate.id,
                      ", ".join(f"{c.incident} +{c.days_late}" for c in r.caught) or "—",
                      f"{r.false_reds_per_month:.2f}", f"{r.false_ambers_per_week:.2f}", str(r.normal_days),
                      r.duplicate_of or "")
    console.print(table)
    caught = sorted({c.incident for p in found.proposals for c in p.result.caught})
    quiet = sorted({c.incident for p in found.proposals for c in p.result.caught
                    if p.result.false_reds_per_month <= 1.0})
    timings = ", ".join(f"{k} {v:.1f}" for k, v in found.timings.items())
    console.print(f"proposals {len(found.proposals)}, dropped {len(found.dropped)}; incidents caught within 2 days "
                  f"{len(caught)}/{len(incidents)} ({', '.join(caught)}); by a proposal with ≤ 1 false red a month "
                  f"{len(quiet)}/{len(incidents)}; timings {timings}")
    checks = [
        (f"total ≤ {TOTAL_TARGET_SECONDS:g} s", total <= TOTAL_TARGET_SECONDS, f"{total:.1f} s"),
        (f"peak RSS ≤ {RSS_TARGET_MB:g} MB", rss_mb <= RSS_TARGET_MB, f"{rss_mb:.0f} MB"),
    ]
    for name, ok, detail in checks:
        console.print(f"{'[green]✓[/]' if ok else '[red]✗[/]'} {name}: {detail}")
    runtime.reset()
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
