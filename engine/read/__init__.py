"""What every surface reads, never computes: cockpit cards, profiles, the job ledger, the render cache, screens,
a metric's first cut and its evidence, how long a metric has been bad (streaks), the daily triage
(``triage``) and its sentences (``why``), and watchlists (surface state: which metrics a team's screen shows).

May import ``engine.contract`` and ``engine.core``.
"""
