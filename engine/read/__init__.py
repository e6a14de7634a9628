"""What every surface reads, never computes: cockpit cards, profiles, the job ledger, the render cache, screens.

May import ``engine.contract`` and ``engine.core``.
"""
