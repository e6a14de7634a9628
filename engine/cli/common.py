"""What every command group shares: the consoles, the handler shape, migrate-then-run."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rich.console import Console
from rich_argparse import RichHelpFormatter

from engine.runtime import Runtime
from engine.store import migrations

console = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)
Formatter = RichHelpFormatter

Handler = Callable[[Runtime, argparse.Namespace], int]
Body = Callable[[Runtime, argparse.Namespace, Console], int]


def upgrade(rt: Runtime) -> str:
    """Create the database if needed and migrate it to head; returns the revision."""
    rt.db.ensure_database()
    return migrations.upgrade(rt.db.engine())


def printing(body: Body) -> Handler:
    """A handler that migrates first, then runs ``body`` printing to stdout."""

    def handler(rt: Runtime, args: argparse.Namespace) -> int:
        upgrade(rt)
        return body(rt, args, out)

    return handler
