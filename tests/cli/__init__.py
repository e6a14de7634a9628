"""Tests of engine/cli: the `heartbeat` command as a user runs it."""
