"""Ingest benchmark (issues #3 and #17): the dlt engine against the physical baseline on this machine.

Run on demand (not a test)::

    .venv/bin/python benchmarks/ingest.py [--scale 1] [--data-dir /tmp/hbbench] [--repeat 2] [--rebuild]

It starts (or joins) an embedded PostgreSQL in ``--data-dir``, builds the demo
source databases there once (``hbbench_webbank``, ``hbbench_aml``,
``hbbench_card_management``; reused while the build is younger than 12 hours
and no earlier run's +1 % has grown it, ``--rebuild`` forces a new one), lands
them into a fresh marts database and
prints one table per measurement:

1. full load of each Postgres source through ``engine.ingest.run_one``: rows,
   seconds (with the extract / load / post-ingest index phases), rows/s and
   the peak RSS of the process doing the load;
2. the same tables and columns (PII columns excluded, as landed) moved by raw
   psycopg 3 binary COPY, one stream, into scratch tables of the marts, and
   the ratio dlt / COPY on the load path (index builds deferred, as ``heartbeat
   ingest`` lands; target >= 0.6 each, >= 0.8 for all) and with the indexes
   built; plus every source landed by one ``run_many`` in one process;
3. the no-change re-run (target <= 5 % of the full load) and a +1 % re-run
   (target <= 10 %), each as a refresh job lands them (every source in turn in
   one process forked for the job from the warm fork server; the targets apply
   to this one), in one long-lived process (warm) and in a fresh process per
   source (cold):
   live mode appends ~1 % new payments and AML checks and moves rows on,
   1 % card transactions are added directly (the demo's card feed is planted
   dead), and 0.1 % of older rows get a late correction;
4. memory flatness: peak RSS landing ``payment`` alone at scale 1 and at 3x
   its rows (copies of the table in databases of their own, landed with a
   custom ``SourceSpec``), target <= 500 MB and flat.

The box is shared, so every measurement waits for autovacuum to finish and
for a checkpoint first, full loads and COPYs alternate, and each figure is the
best of ``--repeat`` runs (all runs are in the JSON file written at the end).
Every load runs in a fresh child process (``benchmarks/_support/ingest_tasks.py``); its
peak RSS is its own VmHWM, not ``ru_maxrss``, which Linux carries over
``execve`` from the parent. The marts databases and dlt folders of the run
are dropped at the end (``--keep`` keeps the last); the source databases
stay for the next run. Only databases named ``hbbench_*`` are created or
dropped.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._support.ingest_sources import (  # noqa: E402
    PAYMENT_COPIES,
    POSTGRES_SOURCES,
    PREFIX,
    count_rows,
    ensure_payment_copies,
    grow_sources,
    grown,
    landed_columns,
    machine,
    marts_sizes,
    settle,
)
from benchmarks._support.ingest_tasks import Child, run_child  # noqa: E402

APP_DATABASE = PREFIX + "app"
COPY_SCHEMA = "hbbench_copy"
TARGET_RATIO = 0.6  # each source (issue #17), on the load path: index builds deferred
TARGET_RATIO_ALL = 0.8  # all sources together (issue #17)
TARGET_NO_CHANGE = 0.05  # issue #17 (issue #3 asked for 0.10)
TARGET_PLUS = 0.10  # the +1 % re-run (issue #17)
TARGET_RSS_MB = 500
TARGET_FLAT = 1.2  # peak RSS at 3x rows / at 1x rows


# --------------------------------------------------------------------------- the benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale of the sources (default 1)")
    parser.add_argument("--data-dir", default="/tmp/hbbench", help="embedded PostgreSQL and dlt folders")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the demo sources even if reusable")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each measurement; the best is kept (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the marts database and dlt folder of the run")
    args = parser.parse_args()

    import logging
    import warnings

    from rich.console import Console
    from rich.table import Table

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")
    from engine.core.db import Database, open_database
    from engine.core.settings import load_settings
    from engine.demo import build_demo
    from engine.store import migrations

    # Piped into a file, rich would wrap the tables at 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=180)
    total_began = time.perf_counter()
    data_dir = Path(args.data_dir).expanduser().resolve()
    server = open_database(load_settings({"HEARTBEAT_DATA_DIR": str(data_dir)}))
    results: dict[str, Any] = {"scale": args.scale, "started_at": datetime.now(timezone.utc).isoformat()}

    info = machine(server)
    results["machine"] = info
    banner = Table(title="Heartbeat ingest benchmark (issue #3) — machine", show_header=False)
    for key, value in info.items():
        banner.add_row(key, value)
    console.print(banner)

    console.print(f"[bold]Demo sources[/] at scale {args.scale:g} (prefix {PREFIX}) …")
    rebuild = args.rebuild or grown(server)
    report = build_demo(server, files_dir=data_dir / "demo-files", scale=args.scale, prefix=PREFIX, force=rebuild)
    console.print(f"  {'reused' if report.reused else 'built'} build {report.build_id[:8]}"
                  f"{' (the last run had grown the sources)' if rebuild and not args.rebuild else ''}: "
                  f"{report.total_rows:,} rows at build time, {report.elapsed_s:.1f} s")
    results["build"] = {"build_id": report.build_id, "rows": report.total_rows, "reused": report.reused,
                        "seconds": report.elapsed_s}

    server.ensure_database(APP_DATABASE)
    app = Database(server.url(APP_DATABASE))
    migrations.upgrade(app.engine())
    run_id = uuid.uuid4().hex[:8]
    marts = f"{PREFIX}marts_{run_id}"
    server.ensure_database(marts)
    pipelines_dir = data_dir / f"dlt-{run_id}"
    app_url = app.url().render_as_string(hide_password=False)

    tries: dict[str, dict[str, list[dict[str, Any]]]] = {"full": {}, "copy": {}}  # every attempt, by kind

    def ingest(source: str, schema: str, custom: bool = False, *, into: str | None = None,
               pipelines: Path | None = None, session: Child | None = None, defer: bool = False) -> dict[str, Any]:
        settle(server)
        result = (session.run if session else run_child)({
            "kind": "ingest", "app_url": app_url, "marts": into or marts,
            "pipelines_dir": str(pipelines or pipelines_dir),
            "prefix": PREFIX, "source": source, "schema": schema, "custom": custom, "defer_indexes": defer,
        })
        if result["status"] != "succeeded":
            raise SystemExit(f"ingest {source}.{schema} failed: {result['error']}")
        return result

    def best(kind: str) -> dict[str, dict[str, Any]]:
        """Per source, the fastest of its attempts; peak RSS is the highest of them (every load counts)."""
        chosen = {}
        for source, attempts in tries[kind].items():
            chosen[source] = dict(min(attempts, key=lambda r: r["seconds"]))
            chosen[source]["attempts_s"] = [round(r["seconds"], 2) for r in attempts]
            chosen[source]["counts_match"] = all(r.get("counts_match", True) for r in attempts)
            if all("rss_mb" in r for r in attempts):
                chosen[source]["rss_mb"] = max(r["rss_mb"] for r in attempts)
        return chosen

    def rate(rows: int, seconds: float) -> str:
        return f"{rows / seconds / 1000:,.0f} k" if seconds > 0 else "-"

    def verdict(ok: bool) -> str:
        return "[green]pass[/]" if ok else "[red]FAIL[/]"

    try:
        # 1. Full loads -------------------------------------------------------------------------
        console.print(f"[bold]1. Full load[/] per source (engine.ingest.run_one, one fresh process each) and "
                      f"[bold]2. psycopg binary COPY[/] of the same tables, interleaved, best of {args.repeat} …")
        all_runs: list[dict[str, Any]] = []
        columns: dict[str, list] = {}
        for source, schema in POSTGRES_SOURCES:
            columns[source] = landed_columns(server, source, schema)
        for attempt in range(args.repeat):
            last = attempt == args.repeat - 1
            # Each attempt lands into a marts database of its own; the last one is kept for the re-runs.
            into = marts if last else f"{marts}_{attempt}"
            pipelines = pipelines_dir if last else data_dir / f"dlt-{run_id}-{attempt}"
            server.ensure_database(into)
            for source, schema in POSTGRES_SOURCES:
                tables = [t for t, _ in columns[source]]
                expected = count_rows(server, PREFIX + source, schema, tables)
                result = ingest(source, schema, into=into, pipelines=pipelines, defer=True)
                result["source_rows"] = sum(expected.values())
                result["counts_match"] = count_rows(server, into, f"{source}_{schema}", tables) == expected
                tries["full"].setdefault(source, []).append(result)
                settle(server)
                tries["copy"].setdefault(source, []).append(run_child({
                    "kind": "copy", "source_dsn": server.dsn(PREFIX + source), "marts_dsn": server.dsn(into),
                    "schema": schema, "scratch_schema": COPY_SCHEMA, "source": source,
                    "tables": [[t, cols] for t, cols in columns[source]],
                }))
            if not last:
                server.drop_database(into)
                shutil.rmtree(pipelines, ignore_errors=True)
            # All sources in one process, as `heartbeat ingest` runs them, into a marts database of its own.
            together = f"{marts}_all{attempt}"
            server.ensure_database(together)
            settle(server)
            result = run_child({"kind": "ingest_all", "app_url": app_url, "marts": together,
                                "pipelines_dir": str(data_dir / f"dlt-{run_id}-all{attempt}"), "prefix": PREFIX,
                                "pairs": [list(pair) for pair in POSTGRES_SOURCES]})
            if result["status"] != "succeeded":
                raise SystemExit(f"run_many failed: {result['error']}")
            all_runs.append(result)
            server.drop_database(together)
            shutil.rmtree(data_dir / f"dlt-{run_id}-all{attempt}", ignore_errors=True)
        full, copy = best("full"), best("copy")
        table = Table(title="1. Full load per source (run_one: connectorx arrow_stream → parquet → ADBC, "
                            "then post-ingest indexes)")
        for col in ("source", "tables", "rows", "seconds", "rows/s", "extract s", "load s", "indexes s",
                    "CPU s", "peak RSS", "RSS before load", "load avg", "rows check"):
            table.add_column(col, justify="left" if col == "source" else "right")
        for source, schema in POSTGRES_SOURCES:
            r = full[source]
            ph = r["phases"]
            table.add_row(f"{source}.{schema}", str(len(columns[source])), f"{r['rows']:,}", f"{r['seconds']:.1f}",
                          rate(r["rows"], r["seconds"]), f"{ph.get('extract', 0):.1f}",
                          f"{ph.get('normalize', 0) + ph.get('load', 0):.1f}",
                          f"{ph.get('indexes', 0) + r.get('index_wait_s', 0):.1f}",
                          f"{r['cpu_s']:.1f}", f"{r['rss_mb']:.0f} MB", f"{r['rss_idle_mb']:.0f} MB",
                          f"{r['load_avg_1m']:.1f}", "[green]= source[/]" if r["counts_match"] else "[red]differs[/]")
        rows_all = sum(r["rows"] for r in full.values())
        secs_all = sum(r["seconds"] for r in full.values())
        pipe_all = sum(r["pipeline_s"] for r in full.values())
        table.add_row("all", "", f"{rows_all:,}", f"{secs_all:.1f}", rate(rows_all, secs_all), "", "", "",
                      f"{sum(r['cpu_s'] for r in full.values()):.1f}",
                      f"{max(r['rss_mb'] for r in full.values()):.0f} MB", "", "", "")
        table.caption = ("indexes s: post-ingest indexes and ANALYZE after the load (deferred: the wait for them). CPU s: user + system time of "
                         "the loading process (PostgreSQL's work is not in it). load avg: the box's 1-minute load "
                         "average when the load ended (2 cores).")
        console.print(table)
        results["full"] = full

        # 2. Physical baseline ------------------------------------------------------------------
        table = Table(title="2. dlt full load vs. psycopg binary COPY (same tables and columns, single stream)")
        for col in ("source", "rows", "COPY s", "COPY rows/s", "COPY peak RSS", "load avg", "dlt s", "dlt / COPY",
                    "load path s", "dlt / COPY", "target", "extract + normalize + load s", "dlt / COPY"):
            table.add_column(col, justify="left" if col == "source" else "right")
        for source, schema in POSTGRES_SOURCES:
            c, d = copy[source], full[source]
            copy_rate = c["rows"] / c["seconds"]
            c["ratio"] = (d["rows"] / d["seconds"]) / copy_rate
            c["ratio_load_path"] = ratio = (d["rows"] / d["load_path_s"]) / copy_rate
            c["ratio_pipeline"] = (d["rows"] / d["pipeline_s"]) / copy_rate
            table.add_row(f"{source}.{schema}", f"{c['rows']:,}", f"{c['seconds']:.1f}", rate(c["rows"], c["seconds"]),
                          f"{c['rss_mb']:.0f} MB", f"{c['load_avg_1m']:.1f}", f"{d['seconds']:.1f}",
                          f"{c['ratio']:.3f}", f"{d['load_path_s']:.1f}", f"{ratio:.3f}",
                          f"≥ {TARGET_RATIO} " + verdict(ratio >= TARGET_RATIO),
                          f"{d['pipeline_s']:.1f}", f"{c['ratio_pipeline']:.3f}")
        c_rows, c_secs = sum(c["rows"] for c in copy.values()), sum(c["seconds"] for c in copy.values())
        copy_rate_all = c_rows / c_secs
        load_path_all = sum(r["load_path_s"] for r in full.values())
        all_ratio = (rows_all / secs_all) / copy_rate_all
        all_ratio_load_path = (rows_all / load_path_all) / copy_rate_all
        table.add_row("all (sum of the above)", f"{c_rows:,}", f"{c_secs:.1f}", rate(c_rows, c_secs), "", "",
                      f"{secs_all:.1f}", f"{all_ratio:.3f}", f"{load_path_all:.1f}", f"{all_ratio_load_path:.3f}",
                      f"≥ {TARGET_RATIO_ALL} " + verdict(all_ratio_load_path >= TARGET_RATIO_ALL),
                      f"{pipe_all:.1f}", f"{(rows_all / pipe_all) / copy_rate_all:.3f}")
        together = dict(min(all_runs, key=lambda r: r["seconds"]))
        together["attempts_s"] = [round(r["seconds"], 2) for r in all_runs]
        together["ratio"] = (together["rows"] / together["seconds"]) / copy_rate_all
        table.add_row("all, one run_many", f"{c_rows:,}", f"{c_secs:.1f}", rate(c_rows, c_secs), "",
                      f"{together['load_avg_1m']:.1f}", f"{together['seconds']:.1f}", f"{together['ratio']:.3f}",
                      "", "", f"≥ {TARGET_RATIO_ALL} " + verdict(together["ratio"] >= TARGET_RATIO_ALL), "", "")
        table.caption = ("dlt s: run_one until its post-ingest indexes and ANALYZE are built. Load path: until run_one "
                         "returns, the index builds queued off the load path (DeferredIndexes, as `heartbeat ingest` "
                         "and the refresh job land) — the issue #17 target. One run_many: every source in one "
                         "process, each source's index builds overlapping the next source's load, timed until the "
                         "last build is done. COPY builds no index.")
        console.print(table)
        results["copy_all"] = {"rows": c_rows, "seconds": c_secs, "ratio": all_ratio,
                               "ratio_load_path": all_ratio_load_path,
                               "ratio_pipeline": (rows_all / pipe_all) / copy_rate_all}
        results["copy"] = copy
        results["run_many"] = together

        # 3. Re-runs ----------------------------------------------------------------------------
        # In a job: as the app's scheduled refresh lands, every source in turn in one process forked for the
        # job from the warm fork server, asked by one long-lived process (the app). Warm: one long-lived
        # process landing every source in turn (the refresh before #16). Cold: a fresh process per source, as
        # one `heartbeat ingest` (imports not counted).
        console.print(f"[bold]3. Re-runs[/]: no change, then +1 %, in a refresh job's process, in one long-lived "
                      f"process (warm) and in a fresh process (cold), each best of {args.repeat} …")

        def check(result: dict[str, Any], source: str, schema: str,
                  changes: dict[str, dict[str, int]] | None) -> dict[str, Any]:
            if changes is not None:
                tables = [t for t, _ in columns[source]]
                result["counts_match"] = (count_rows(server, marts, f"{source}_{schema}", tables)
                                          == count_rows(server, PREFIX + source, schema, tables))
                result["source_changes"] = changes[source]
            return result

        def rerun(kind: str, session: Child | None, changes: dict[str, dict[str, int]] | None = None) -> None:
            for source, schema in POSTGRES_SOURCES:
                result = check(ingest(source, schema, session=session), source, schema, changes)
                tries.setdefault(kind, {}).setdefault(source, []).append(result)

        def job(kind: str, session: Child, changes: dict[str, dict[str, int]] | None = None) -> None:
            settle(server)
            result = session.run({"kind": "ingest_job", "app_url": app_url, "marts": marts,
                                  "pipelines_dir": str(pipelines_dir), "prefix": PREFIX,
                                  "pairs": [list(pair) for pair in POSTGRES_SOURCES]})
            for source, schema in POSTGRES_SOURCES:
                landed = result["sources"][source]
                if landed["status"] != "succeeded":
                    raise SystemExit(f"ingest {source}.{schema} failed in a job: {landed['error']}")
                tries.setdefault(kind, {}).setdefault(source, []).append(check(landed, source, schema, changes))

        for _ in range(args.repeat):
            rerun("no_change_cold", None)
        for measure, prefix in ((rerun, ""), (job, "job_")):  # warm, then in a refresh job's process
            session = Child()
            try:
                measure(prefix + "warm_up", session)  # not measured (a job's: the fork server starts)
                for _ in range(args.repeat):
                    measure(prefix + "no_change", session)
                for _ in range(args.repeat):
                    measure(prefix + "plus", session, grow_sources(server, console))
            finally:
                session.close()
        for _ in range(args.repeat):
            rerun("plus_cold", None, grow_sources(server, console))
        no_change_cold, no_change, no_change_job = best("no_change_cold"), best("no_change"), best("job_no_change")
        plus, plus_cold, plus_job = best("plus"), best("plus_cold"), best("job_plus")
        table = Table(title="3. Re-runs as a fraction of the full load (job: every source in one process forked for "
                            "the run, as the scheduled refresh lands; warm: one long-lived process; cold: a fresh "
                            "process per source)")
        for col in ("source", "full s", "no change: job s", "/ full", "target ≤ 5 %", "warm / full", "cold / full",
                    "rows re-read", "+1 %: new / updated at source", "+1 % job s", "/ full", "target ≤ 10 %",
                    "warm / full", "cold / full", "rows moved", "rows check"):
            table.add_column(col, justify="left" if col == "source" else "right")
        for source, schema in POSTGRES_SOURCES:
            f = full[source]
            n, nw, nc = no_change_job[source], no_change[source], no_change_cold[source]
            p, pw, pc = plus_job[source], plus[source], plus_cold[source]
            for r in (n, nw, nc, p, pw, pc):
                r["fraction"] = r["seconds"] / f["seconds"]
            ch = p["source_changes"]
            table.add_row(f"{source}.{schema}", f"{f['seconds']:.1f}", f"{n['seconds']:.2f}", f"{n['fraction']:.1%}",
                          verdict(n["fraction"] <= TARGET_NO_CHANGE), f"{nw['fraction']:.1%}", f"{nc['fraction']:.1%}",
                          f"{n['rows']:,}", f"{ch['new']:,} / {ch['updated']:,}", f"{p['seconds']:.2f}",
                          f"{p['fraction']:.1%}", verdict(p["fraction"] <= TARGET_PLUS), f"{pw['fraction']:.1%}",
                          f"{pc['fraction']:.1%}", f"{p['rows']:,}",
                          "[green]= source[/]" if all(r["counts_match"] for r in (p, pw, pc)) else "[red]differs[/]")
        table.caption = ("Rows re-read: the 60 s cursor lag re-reads the newest changes of each table. "
                         "Rows check: every landed table has the source's row count after each +1 % run.")
        console.print(table)
        results.update(no_change=no_change, no_change_cold=no_change_cold, no_change_job=no_change_job,
                       plus_1pct=plus, plus_1pct_cold=plus_cold, plus_1pct_job=plus_job)

        # 3b. Disk: the marts and dlt's staging schemas after the full loads and every re-run ---------
        sizes = marts_sizes(server, marts)
        table = Table(title="3b. Marts size after the full loads and re-runs (dlt staging truncated after each load)")
        for col in ("database", "landed schemas", "*_staging schemas", "staged rows left"):
            table.add_column(col, justify="right")
        table.add_row(f"{sizes['database'] / 2**20:,.0f} MB", f"{sizes['landed'] / 2**20:,.0f} MB",
                      f"{sizes['staging'] / 2**20:,.1f} MB", f"{sizes['staged_rows']:,}")
        console.print(table)
        results["marts_size"] = sizes

        # 4. Memory flatness --------------------------------------------------------------------
        console.print("[bold]4. Memory flatness[/]: payment alone at 1x and 3x rows …")
        copies = ensure_payment_copies(server, console)
        flat = {name: ingest(name, "core", custom=True) for name in PAYMENT_COPIES}
        table = Table(title="4. Peak RSS landing core.payment (custom SourceSpec, merge by id, update_time cursor)")
        for col in ("table", "rows", "seconds", "rows/s", "peak RSS", "RSS before load", "target ≤ 500 MB"):
            table.add_column(col, justify="left" if col == "table" else "right")
        for name, factor in PAYMENT_COPIES.items():
            r = flat[name]
            r["source_rows"] = copies[name]
            table.add_row(f"payment x{factor}", f"{r['rows']:,}", f"{r['seconds']:.1f}", rate(r["rows"], r["seconds"]),
                          f"{r['rss_mb']:.0f} MB", f"{r['rss_idle_mb']:.0f} MB", verdict(r["rss_mb"] <= TARGET_RSS_MB))
        growth = flat["payment3x"]["rss_mb"] / flat["payment1x"]["rss_mb"]
        table.caption = (f"3x rows → peak RSS x{growth:.2f} "
                         f"({'flat' if growth <= TARGET_FLAT else 'NOT flat'}; target ≤ x{TARGET_FLAT})")
        console.print(table)
        results["flatness"] = {**flat, "rss_growth": growth}

        # Summary -------------------------------------------------------------------------------
        peak = max(r["rss_mb"] for group in (full, no_change, no_change_cold, plus, plus_cold, flat)
                   for r in group.values() if isinstance(r, dict))
        summary = Table(title="Targets (issues #3 and #17)")
        for col in ("target", "measured", "result"):
            summary.add_column(col)
        worst_ratio = min(c["ratio_load_path"] for c in copy.values())
        worst_nc = max(n["fraction"] for n in no_change_job.values())
        summary.add_row(f"full load ≥ {TARGET_RATIO}× psycopg COPY (each source, load path: indexes deferred)",
                        ", ".join(f"{s} {copy[s]['ratio_load_path']:.3f}" for s, _ in POSTGRES_SOURCES),
                        verdict(worst_ratio >= TARGET_RATIO))
        summary.add_row(f"full load ≥ {TARGET_RATIO_ALL}× psycopg COPY (all sources)",
                        f"load path {all_ratio_load_path:.3f}; one run_many with every index built "
                        f"{together['ratio']:.3f}", verdict(all_ratio_load_path >= TARGET_RATIO_ALL))
        summary.add_row("  each source with its indexes built inline (no target)",
                        ", ".join(f"{s} {copy[s]['ratio']:.3f}" for s, _ in POSTGRES_SOURCES), "-")
        summary.add_row(f"no-change re-run ≤ {TARGET_NO_CHANGE:.0%} of full (each source; in a refresh job's "
                        "process)",
                        ", ".join(f"{s} {no_change_job[s]['fraction']:.1%}" for s, _ in POSTGRES_SOURCES),
                        verdict(worst_nc <= TARGET_NO_CHANGE))
        worst_nc_cold = max(n["fraction"] for n in no_change_cold.values())
        summary.add_row("  the same warm / cold (no target: one long-lived process / a fresh `heartbeat ingest`)",
                        ", ".join(f"{s} {no_change[s]['fraction']:.1%} / {no_change_cold[s]['fraction']:.1%}"
                                  for s, _ in POSTGRES_SOURCES), "-")
        worst_plus = max(p["fraction"] for p in plus_job.values())
        summary.add_row(f"+1 % re-run ≤ {TARGET_PLUS:.0%} of full (each source; in a refresh job's process)",
                        ", ".join(f"{s} {plus_job[s]['fraction']:.1%}" for s, _ in POSTGRES_SOURCES),
                        verdict(worst_plus <= TARGET_PLUS))
        summary.add_row("  the same warm / cold (no target)",
                        ", ".join(f"{s} {plus[s]['fraction']:.1%} / {plus_cold[s]['fraction']:.1%}"
                                  for s, _ in POSTGRES_SOURCES), "-")
        summary.add_row("peak RSS ≤ 500 MB (every load)", f"{peak:.0f} MB", verdict(peak <= TARGET_RSS_MB))
        summary.add_row("RSS flat when the table grows 3×", f"x{growth:.2f}", verdict(growth <= TARGET_FLAT))
        console.print(summary)
        results["summary"] = {"worst_ratio_load_path": worst_ratio, "all_ratio_load_path": all_ratio_load_path,
                              "run_many_ratio": together["ratio"], "worst_no_change_cold": worst_nc_cold,
                              "worst_no_change": worst_nc, "worst_plus": worst_plus, "peak_rss_mb": peak,
                              "rss_growth_3x": growth}
    finally:
        for attempt in range(args.repeat):  # attempts not kept, if interrupted
            server.drop_database(f"{marts}_{attempt}")
            server.drop_database(f"{marts}_all{attempt}")
            shutil.rmtree(data_dir / f"dlt-{run_id}-{attempt}", ignore_errors=True)
            shutil.rmtree(data_dir / f"dlt-{run_id}-all{attempt}", ignore_errors=True)
        if not args.keep:
            server.drop_database(marts)
            shutil.rmtree(pipelines_dir, ignore_errors=True)
        app.dispose()
        server.dispose()
    results["total_s"] = time.perf_counter() - total_began
    out = data_dir / f"ingest-benchmark-{run_id}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    console.print(f"Benchmark took {results['total_s'] / 60:.1f} min; figures saved to {out}")


if __name__ == "__main__":
    main()
