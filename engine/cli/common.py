"""What every command group shares: the consoles, the handler shape, migrate-then-run."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich_argparse import RichHelpFormatter

from engine.runtime import Runtime
from engine.store import migrations, roles

console = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)
Formatter = RichHelpFormatter

Handler = Callable[[Runtime, argparse.Namespace], int]
Body = Callable[[Runtime, argparse.Namespace, Console], int]


def upgrade(rt: Runtime) -> str:
    """Create the database if needed, migrate it to head and prepare the metric SQL role; returns the revision."""
    rt.db.ensure_database()
    revision = migrations.upgrade(rt.db.engine())
    problem = roles.ensure_compute_role(rt.db, rt.settings.marts_database, rt.settings.compute_database_url)
    if problem:
        console.print(f"[yellow]warning:[/] metrics cannot compute: {escape(problem)}")
    return revision


def printing(body: Body) -> Handler:
    """A handler that migrates first, then runs ``body`` printing to stdout."""

    def handler(rt: Runtime, args: argparse.Namespace) -> int:
        upgrade(rt)
        return body(rt, args, out)

    return handler
