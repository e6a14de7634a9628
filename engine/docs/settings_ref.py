"""The configuration reference, generated from the settings declaration (``engine.core.settings.SETTINGS``)."""

from __future__ import annotations

from pathlib import Path

from engine.core.settings import SETTINGS, Setting
from engine.docs.markdown import code, table

ROOT = Path(__file__).resolve().parents[2]


def _default(setting: Setting) -> str:
    if not setting.default:
        return "unset"
    path = Path(setting.default)
    if path.is_absolute() and path.is_relative_to(ROOT):
        return code(f"{path.relative_to(ROOT)}") + " of the checkout"
    return code(setting.default)


def settings_reference(settings: tuple[Setting, ...] = SETTINGS) -> str:
    """Every declared setting: variable, default, what it does, what to write when it is refused."""
    rows = [
        (code(s.env), _default(s), s.help + (" *Secret: never printed.*" if s.secret else ""), s.hint)
        for s in settings
    ]
    return (
        "## Reference (generated from the settings declaration)\n\n"
        f"{len(settings)} settings, read from the declaration in `engine/core/settings.py` each time this page "
        "is built, so it lists exactly what this version of Heartbeat reads.\n\n"
        + table(("Variable", "Default", "What it does", "When refused, write"), rows)
    )
