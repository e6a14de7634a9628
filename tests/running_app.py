"""Moved to tests/support/running_app.py; this name stays until its two importers outside tests/ (whose
owners change them) follow: tests/browser/test_cockpit.py and benchmarks/tv_endurance.py."""

from tests.support.running_app import RunningApp, free_port  # noqa: F401 (re-exported)
