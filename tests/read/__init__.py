"""Tests of engine/read: what the wall shows, read straight from the read model."""
