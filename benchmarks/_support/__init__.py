"""What several benchmarks share: a world of N metrics × days of history written in bulk, the REST API
served in a process of its own, and the wall of hand-built metrics that websocket sessions open.

Tests' helpers (``tests/support``: scratch databases, the running app, free ports) are used as they are.
"""

import sys
from pathlib import Path

# A script run from benchmarks/ has this folder first on its path (and hands it to the processes it
# spawns), where benchmarks/mcp.py would shadow the MCP SDK that engine.api imports.
_FOLDER = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _FOLDER]
