"""The MCP server: the registry, the history and the surface tables as tools, resources and a prompt.

Built on the official MCP Python SDK (``mcp``): ``server`` declares the tools (their bodies in ``tools``,
their typed answers in ``models``), the resources and the ``daily_triage`` prompt; ``docs`` searches the
documentation; ``http`` serves it at ``/mcp`` on the app's port behind a bearer token. ``heartbeat mcp``
serves it over stdio. Read only: it never touches the marts or the sources and never writes.

May import ``engine.read``, ``engine.audit.read``, ``engine.ingest.ledger``, ``engine.runtime``,
``engine.core`` and ``engine.contract``.
"""
