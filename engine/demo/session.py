"""`heartbeat demo`: build the demo sources once, keep them moving, land them, fill the registry.

The demo is what a new user sees first, so it runs the real product path:
the same ingest, the same metric files, the same refresh job; the sources
are generated (engine/demo) instead of being the company's systems.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
from dataclasses import dataclass

from rich.console import Console

from engine import ingest, refresh
from engine.demo import DEFAULT_SCALE, RatesServer, append_live, build_demo, serve_rates
from engine.ingest import DEMO_FOLDER
from engine.metrics import backfill, bands, registry
from engine.metrics.files import MetricFilesInvalid
from engine.refresh import JobState, RefreshContext, RefreshRequest, Started
from engine.runtime import Runtime, wiring

log = logging.getLogger(__name__)

LIVE_INTERVAL_SECONDS = 60.0
TOKEN_FILE = "operator_token"
BACKFILL_DAYS = 90


@dataclass
class DemoServices:
    """What keeps running beside the app: the rates API and the live appender."""

    rates: RatesServer
    stop_live: threading.Event
    live_thread: threading.Thread

    def stop(self) -> None:
        self.stop_live.set()
        self.live_thread.join(timeout=10)
        self.rates.stop()


def _live_loop(rt: Runtime, stop: threading.Event) -> None:
    while not stop.wait(LIVE_INTERVAL_SECONDS):
        try:
            append_live(rt.db)
        except Exception:  # a hiccup in the demo feed must not end the demo
            log.exception("demo live tick failed")


def _forget_landed_data(rt: Runtime) -> None:
    """A rebuilt demo has new rows: land them from scratch (fresh marts, fresh dlt state)."""
    rt.db.drop_database(rt.settings.marts_database)
    shutil.rmtree(rt.settings.data_dir.resolve() / "dlt", ignore_errors=True)


def _where(rt: Runtime) -> str:
    """Where the demo sources live, safe to print: nothing on Heartbeat's own server, else the host."""
    if rt.db.sources is rt.db:
        return ""
    url = rt.db.sources.url()
    socket = url.query.get("host")
    host = url.host or (socket[0] if isinstance(socket, tuple) else socket) or "a local socket"
    return f" on {host}" + (f":{url.port}" if url.port else "")


def prepare(rt: Runtime, console: Console, *, scale: float = DEFAULT_SCALE) -> DemoServices:
    """Build (or reuse) the demo sources, start their services, and run a first full refresh."""
    files_dir = rt.settings.data_dir.resolve() / DEMO_FOLDER
    with console.status("building the demo source systems…"):
        report = build_demo(rt.db, files_dir=files_dir, scale=scale)  # on rt.db.sources
    where = _where(rt)
    if report.reused:
        console.print(f"[green]✓[/] demo sources ready{where} ({report.total_rows:,} rows, built earlier)")
    else:
        _forget_landed_data(rt)
        console.print(f"[green]✓[/] demo sources built{where}: {report.total_rows:,} rows in {report.elapsed_s:.1f} s")
    rates = serve_rates(files_dir, port=rt.settings.demo_rates_port)
    stop = threading.Event()
    live = threading.Thread(target=_live_loop, args=(rt, stop), name="demo-live", daemon=True)
    live.start()
    services = DemoServices(rates, stop, live)
    try:
        ctx = wiring.refresh_context(rt.settings, rt.db)
        with console.status("landing the sources, backfilling history, computing every metric…"):
            started, state, filled = first_refresh(ctx)
        if state is not None:
            console.print(
                f"[green]✓[/] refresh job {state.id} {state.status}: {len(state.source_outcomes)} source schemas, "
                f"{len(state.metric_outcomes)} metrics; {sum(r.days_written for r in filled)} past days backfilled"
            )
            if state.error:
                console.print(f"  [yellow]{state.error}[/]", markup=True)
        else:
            console.print(f"[green]✓[/] a refresh was already running (job {started.job_id})")
        # The audit pages read snapshots only; the daily jobs would fill them at 04:30 and 04:45 — the demo
        # does it now, segments first since the client_segments cut draws their history.
        with console.status("counting the client segments…"):
            console.print(f"[green]✓[/] {wiring.client_segments(rt.settings, rt.db)()}")
        with console.status("computing the audit cuts…"):
            done = wiring.audit_snapshots(rt.settings, rt.db)()
        console.print(f"[green]✓[/] audit cuts: {done}")
    except BaseException:
        services.stop()
        raise
    return services


def first_refresh(ctx: RefreshContext, *, days: int = BACKFILL_DAYS
                  ) -> tuple[Started, JobState | None, list[backfill.BackfillResult]]:
    """Land the sources, backfill past days, learn the bands — then run the demo's first refresh.

    History and bands come *before* the refresh because the refresh is what alerts: judged without
    its band, a ``rolling_stat`` metric of a planted incident (the AML backlog) would stay quiet in
    the first refresh and fire alone in the next one, splitting one incident into two messages.
    The refresh's own ingest then finds (almost) nothing new.
    """
    list(ingest.run_many(ingest.plan(None), ctx.ingest))  # failures show in the refresh that follows
    try:
        registry.sync(ctx.db.engine(), ctx.metrics_dir)
    except MetricFilesInvalid:
        pass  # the refresh syncs again and reports the broken files
    filled = backfill.backfill(ctx.compute, days=days)
    bands.refresh(ctx.db.engine(), ctx.compute.today(), marts=ctx.compute)
    started, state = refresh.run(ctx, RefreshRequest("all", "cli"))
    return started, state, filled


def operator_token(rt: Runtime) -> str:
    """The demo's operator token: generated once, kept (owner-only) in the data folder."""
    path = rt.settings.data_dir.resolve() / TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(token + "\n")
    return token
