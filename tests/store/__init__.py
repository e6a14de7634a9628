"""Tests of engine/store: migrations of schema heartbeat and the registry write guard."""
