"""``python -m heartbeat_app.launch run …``: Reflex's own CLI, with Granian respawning a worker that died.

Reflex's production server (Granian) stops every worker when one of them dies, unless
``respawn_failed_workers`` is set, which Reflex does not expose. With several workers (``heartbeat serve
--workers N``) one worker killed (OOM, ``kill -9``) must cost only the tabs it served — they reconnect to
another worker at once — and the worker comes back by itself; so this entry point turns that Granian option
on, and is otherwise exactly ``reflex``.
"""

from __future__ import annotations

import functools

from granian.server import common


def _respawning(init):
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        kwargs.setdefault("respawn_failed_workers", True)
        return init(self, *args, **kwargs)

    return wrapper


def main() -> None:
    common.AbstractServer.__init__ = _respawning(common.AbstractServer.__init__)
    from reflex.reflex import cli

    cli()


if __name__ == "__main__":
    main()
