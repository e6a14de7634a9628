"""Tests of engine/core: settings declared once, formatting of values, durations and ages."""
