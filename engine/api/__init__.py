"""The REST API, mounted in front of Reflex on the same port: one router module per resource.

May import ``engine.runtime`` and everything below it. ``deps`` declares what routers share.
"""

from engine.api.app import create_api

__all__ = ["create_api"]
