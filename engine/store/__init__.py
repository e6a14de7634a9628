"""Schema ``heartbeat``: its tables (declared for the migrations), migrations, the write guard. May import ``engine.core``."""
