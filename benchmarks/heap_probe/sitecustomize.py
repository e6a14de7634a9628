"""Diagnostics only (``benchmarks/sessions.py --heap``): tracemalloc snapshots from inside the serving worker.

Put on PYTHONPATH with ``HEARTBEAT_HEAP_PROBE=<folder>``, every Python process of the app (and every worker
forked from one) polls that folder: a file ``start`` turns tracemalloc on, a file ``snap-<name>`` makes each
process that serves the app write ``<name>-<pid>.snap`` (after a garbage collection) and ``<name>-<pid>.done``.
Nothing of it runs without the variable.
"""

from __future__ import annotations

import os

_FOLDER = os.environ.get("HEARTBEAT_HEAP_PROBE")


def _watch() -> None:
    import gc
    import sys
    import threading
    import time
    import tracemalloc
    from pathlib import Path

    folder = Path(_FOLDER)
    pid = os.getpid()

    def poll() -> None:
        done: set[str] = set()
        while True:
            time.sleep(0.3)
            if os.getpid() != pid:
                return  # a forked child runs its own poller
            try:
                names = [p.name for p in folder.iterdir()]
            except OSError:
                continue
            if "start" in names and not tracemalloc.is_tracing():
                tracemalloc.start(int(os.environ.get("HEARTBEAT_HEAP_PROBE_FRAMES", "12")))
            for name in names:
                if not name.startswith("snap-") or name in done:
                    continue
                done.add(name)
                if not tracemalloc.is_tracing() or "heartbeat_app.app" not in sys.modules:
                    continue
                label = name[len("snap-"):]
                gc.collect()
                tracemalloc.take_snapshot().dump(str(folder / f"{label}-{pid}.snap"))
                (folder / f"{label}-{pid}.done").write_text(str(tracemalloc.get_traced_memory()))

    threading.Thread(target=poll, name="heap-probe", daemon=True).start()


if _FOLDER:
    _watch()
    os.register_at_fork(after_in_child=_watch)
