"""Metric files → registry → history: parse, sync, edit, compute, backfill, bands, validate.

May import ``engine.contract``, ``engine.sources``, ``engine.ingest.ledger`` (``source_as_of``),
``engine.store`` and ``engine.core``.
"""
