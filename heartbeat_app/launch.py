"""``python -m heartbeat_app.launch run …``: Reflex's own CLI, with the backend served by uvicorn under a supervisor.

Reflex 0.10 serves production with Granian. An idle websocket costs ~165 KB of server memory under Granian and
~28 KB under uvicorn (docs/performance.md, "Sessions"), and a TV wall is hundreds of idle websockets; so this
entry point is ``reflex`` with one change: where Reflex would start its production backend, uvicorn serves the
same app (Reflex's factory, the compiled frontend mounted on the one port) in ``HEARTBEAT_SERVE_WORKERS``
processes under uvicorn's supervisor, which starts a worker again when one dies (OOM, ``kill -9``): it costs
only the tabs it served, and they reconnect to another worker meanwhile. The choices are in docs/decisions.md.
"""

from __future__ import annotations

import os

WORKERS_ENV = "HEARTBEAT_SERVE_WORKERS"  # set by `heartbeat serve --workers N` (engine.runtime.server)
# A worker answers the supervisor's ping from a thread of its own; on a loaded box (a refresh job, a compile)
# uvicorn's 5 s default would kill a healthy worker.
HEALTHCHECK_SECONDS = 30


def _serve_backend(host: str, port: int, loglevel, app_target: str | None = None) -> None:
    """What Reflex's ``run_backend_prod`` runs here: uvicorn, ``HEARTBEAT_SERVE_WORKERS`` worker processes."""
    import uvicorn
    from reflex.utils import exec as reflex_exec
    from reflex_base.environment import environment
    from uvicorn.supervisors import Multiprocess

    environment.REFLEX_SKIP_COMPILE.set(True)  # compiled above; the workers only serve
    _fork_workers(app_target)
    _notice_deaths_at_once()
    config = uvicorn.Config(
        app_target or reflex_exec.get_app_instance(),
        factory=True,
        host=host,
        port=port,
        workers=max(1, int(os.environ.get(WORKERS_ENV, "1"))),
        log_level=getattr(loglevel, "value", str(loglevel)),
        access_log=False,
        # Pinned, not "auto": the per-connection cost measured is that of these two; compression is off
        # because each compressing websocket keeps a zlib context (up to 256 KB) and a wall's deltas are small.
        http="h11",
        ws="wsproto",
        ws_per_message_deflate=False,
        lifespan="on",
        timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
    )
    # Always supervised, one worker too: a dead worker is started again, as Granian did with respawn on.
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def _notice_deaths_at_once() -> None:
    """The supervisor notices a dead worker as soon as it dies, not a healthcheck timeout later.

    uvicorn pings each worker in turn and waits up to ``timeout_worker_healthcheck`` for the answer. The
    supervisor holds the worker's end of that pipe too (and forked workers inherit it), so a worker killed
    while a ping is in flight never closes it: the supervisor sat out the whole HEALTHCHECK_SECONDS before
    it saw the death and started a replacement (measured: 28.7 s after a ``kill -9`` that lands during a
    ping, a race a busy worker makes likely). Here the wait also ends when the worker's process ends.
    """
    import pickle
    from multiprocessing.connection import wait

    from uvicorn.supervisors import multiprocess

    class Worker(multiprocess.Process):
        def _healthcheck(self, timeout: float) -> bool | None:
            try:
                self.parent_conn.send(b"ping")
                if self.parent_conn in wait([self.parent_conn, self.process.sentinel], timeout):
                    return self.parent_conn.recv()
                return None  # no answer in time, or the worker is gone
            except (OSError, EOFError, pickle.UnpicklingError):
                return None

    if hasattr(multiprocess.Process, "_healthcheck"):  # uvicorn 0.54's supervisor; another keeps its own
        multiprocess.Process = Worker


def _fork_workers(app_target: str | None) -> None:
    """Workers forked from this process with the app imported, as Reflex does for Granian on Linux.

    uvicorn spawns a fresh interpreter per worker, which imports the whole app: 10–20 s on a loaded box, so a
    killed worker would leave its tabs without a server that long. Forked after Reflex's own preparation
    (app imported, telemetry stopped, heap frozen), a worker serves within a second or two and shares this
    process's pages.
    """
    import multiprocessing

    import uvicorn._subprocess
    from reflex.utils import exec as reflex_exec

    if reflex_exec._backend_start_method() != "fork":
        return  # not Linux: spawned workers, as uvicorn does
    multiprocessing.set_start_method("fork", force=True)
    if reflex_exec._preload_for_fork(app_target):
        uvicorn._subprocess.spawn = multiprocessing.get_context("fork")


def main() -> None:
    from reflex.utils import exec as reflex_exec

    reflex_exec.should_use_granian = lambda: False
    reflex_exec.run_uvicorn_backend_prod = _serve_backend
    from reflex.reflex import cli

    cli()


if __name__ == "__main__":
    main()
