"""Tests of engine/demo: the demo sources, and the alerts the demo must (and must not) send."""
