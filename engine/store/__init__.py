"""Schema ``heartbeat``: its tables (declared for the migrations), migrations, the write guard, the compute role.

May import ``engine.core``. Importing the package registers every table in ``models.metadata``.
"""

from engine.store import alert_models, models

__all__ = ["alert_models", "models"]
