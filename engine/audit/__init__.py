"""Audit cuts: ``cuts/<id>.py`` modules → registry → snapshots per (cut, window).

A cut is a small chart with prose that explains *why* a metric reads what it
reads. The module is the source of truth (``files``); the sync brings
``audit_cut_registry`` in line with the folder (``registry``); each cut's
payload is validated against its kind (``kinds``) and cached per window in
``audit_cut_snapshot`` (``snapshots``), computed read-only on the marts
exactly like metric SQL (``query``). Surfaces read snapshots only (``read``).

May import ``engine.metrics`` (the read-only SQL runner, owner rules, the
registry trail), ``engine.read``, ``engine.ingest.ledger`` (``source_as_of``),
``engine.store``, ``engine.core`` and ``engine.contract``.
"""
