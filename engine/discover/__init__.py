"""Metric discovery: profile the landed tables, propose metrics, backtest them, keep them apart until promoted.

profile (tables from their dlt schema and a bounded sample) → rules (one small function per kind of
candidate) → run (the metric-validate gate, history, backtest, ranking) → proposals (metrics/proposed/,
promote, reject). May import ``engine.metrics``, ``engine.sources``, ``engine.contract``, ``engine.core``.
"""
