"""What every surface reads, never computes: cockpit cards, profiles, the job ledger, the render cache, screens,
a metric's first cut and evidence, and how long a metric has been bad (streaks).

May import ``engine.contract`` and ``engine.core``.
"""
