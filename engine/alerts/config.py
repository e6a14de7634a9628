"""The alert routing file (``alerts.yaml``): channels, routes, and the rules of the state machine.

The file is config truth, kept in the repository; it never holds a secret.
A channel names the environment variables of its webhook URL, bot token or
SMTP login, and those values are read here and nowhere else, so they can be
masked everywhere they could leak (errors, logs, API output).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Mapping

import yaml

from engine.core.durations import parse_duration
from engine.core.errors import ConfigError

SEVERITIES = ("red", "amber", "error", "stale")
CHANNEL_TYPES = ("slack", "telegram", "webhook", "email")
MASK = "***"
# The environment variables a channel type always needs (``<role>_env`` in the file), and its other fields.
_ROLES = {"slack": ("url",), "webhook": ("url",), "telegram": ("bot_token", "chat_id"), "email": ("host",)}
_FIELDS = {"telegram": ("api_base",),
           "email": ("port", "tls", "from", "from_env", "to", "to_env", "username_env", "password_env")}
# How an email channel talks to its server → the port it uses unless told otherwise.
TLS_MODES = {"starttls": 587, "implicit": 465, "none": 25}
# Values read from the environment that are addresses, not secrets: masking them would blank every
# log line that mentions, say, localhost.
NOT_SECRET = ("host", "from", "to")


class AlertConfigError(ConfigError):
    """The routing file is wrong; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class Reminders:
    first_seconds: float = 3600.0
    factor: float = 2.0
    max_seconds: float = 86400.0

    def interval(self, sent: int) -> float:
        """The wait before reminder number ``sent + 1``: growing, never past the cap."""
        return min(self.first_seconds * self.factor ** sent, self.max_seconds)


@dataclass(frozen=True)
class Worsening:
    """How much worse a firing value alert must get to notify again at once (``rules.worsen``).

    ``step``: a value past a line, this share of the distance between its amber and red lines further
    (0.5: another half of it); ``count``: a count metric past a line, this many more; ``z``: a value
    outside its typical band, |z| this much higher. ``enabled=False`` (``worsen: off``): never.
    """

    step: float = 0.5
    count: float = 1.0
    z: float = 1.0
    enabled: bool = True


@dataclass(frozen=True)
class Delivery:
    max_attempts: int = 6  # K: after this many failed sends the row is a dead letter
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 300.0
    timeout_seconds: float = 10.0

    def backoff(self, attempts: int) -> float:
        """Exponential, bounded: base · 2^(attempts-1), at most the cap."""
        return min(self.backoff_base_seconds * 2 ** max(attempts - 1, 0), self.backoff_max_seconds)


@dataclass(frozen=True)
class Channel:
    """A destination. ``secrets`` holds the values read from the environment (never shown)."""

    name: str
    type: str
    env: dict[str, str]  # role → environment variable name, e.g. {"url": "HEARTBEAT_SLACK_WEBHOOK_URL"}
    secrets: dict[str, str] = field(repr=False)  # role → value, for the configured roles only
    api_base: str = "https://api.telegram.org"
    # email: tls, port, and from/to when the file gives them (otherwise they are roles of ``env``)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return all(role in self.secrets for role in self.env)

    @property
    def missing(self) -> list[str]:
        return [var for role, var in self.env.items() if role not in self.secrets]

    def describe(self) -> dict[str, Any]:
        """What an API or a CLI may show: the type and the variable names, never their values."""
        return {"name": self.name, "type": self.type, "configured": self.configured,
                "env": dict(self.env), "missing_env": self.missing}


@dataclass(frozen=True)
class Route:
    """Which metrics (by id or tag) go to which channels, which severities count, and the rule of N and M."""

    channels: tuple[str, ...]
    metrics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    severities: tuple[str, ...] = ("red", "error", "stale")
    pending: dict[str, int] = field(default_factory=dict)  # severity → N consecutive bad computations
    clear: int | None = None  # M good computations before resolving
    default: bool = False
    # "owner": the notifications one refresh produces for the same owner, transition and channels
    # go out as one message (one incident often turns several of an owner's metrics red at once).
    group_by: str | None = None
    worsen: Worsening | None = None  # overrides rules.worsen for this route

    def matches(self, metric_id: str, tags: tuple[str, ...]) -> bool:
        if self.default:
            return True
        return metric_id in self.metrics or bool(set(tags) & set(self.tags))


@dataclass(frozen=True)
class AlertConfig:
    channels: dict[str, Channel]
    routes: tuple[Route, ...]
    pending: dict[str, int]
    clear: int
    error_after: int
    reminders: Reminders
    delivery: Delivery
    path: Path | None = None
    worsen: Worsening = Worsening()

    def route_for(self, metric_id: str, tags: tuple[str, ...]) -> Route:
        """The first route that matches; the default route otherwise (there is always one)."""
        for route in self.routes:
            if not route.default and route.matches(metric_id, tags):
                return route
        return next(r for r in self.routes if r.default)

    def pending_for(self, route: Route, severity: str) -> int:
        return route.pending.get(severity, self.pending.get(severity, 1))

    def clear_for(self, route: Route) -> int:
        return route.clear if route.clear is not None else self.clear

    def worsen_for(self, route: Route) -> Worsening:
        return route.worsen if route.worsen is not None else self.worsen

    def secrets(self) -> list[str]:
        return [value for channel in self.channels.values() for role, value in channel.secrets.items()
                if role not in NOT_SECRET]

    def mask(self, text: str) -> str:
        """``text`` with every channel secret — and every telling fragment of one — replaced by ***.

        A receiver may echo only part of a webhook URL (its path ``/services/T…/B…/secret``, or a query
        value), so the path, each long path segment and each query value are masked as well.
        """
        pieces = {piece for secret in self.secrets() for piece in _fragments(secret)}
        for piece in sorted(pieces, key=len, reverse=True):
            text = text.replace(piece, MASK)
        return text


def _fragments(secret: str) -> list[str]:
    """The secret, and for a URL its path, long path segments and query values (8+ characters each)."""
    found = [secret] if len(secret) >= 4 else []
    parts = urllib.parse.urlsplit(secret)
    if parts.scheme and parts.netloc:
        found += [parts.path] if len(parts.path) >= 8 else []
        found += [segment for segment in parts.path.split("/") if len(segment) >= 8]
        found += [value for _, value in urllib.parse.parse_qsl(parts.query) if len(value) >= 8]
    return found


def _fail(where: str, field_name: str, reason: str) -> AlertConfigError:
    return AlertConfigError(f"{where}: {field_name} {reason}")


def _duration(raw: Any, where: str, name: str) -> float:
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise _fail(where, name, str(exc)) from None


def _count(raw: Any, where: str, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise _fail(where, name, "must be a whole number of 1 or more")
    return raw


def _names(raw: Any, where: str, name: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise _fail(where, name, "must be a list of names")
    return tuple(raw)


def _pending(raw: Any, where: str) -> dict[str, int]:
    if raw is None:
        return {}
    if isinstance(raw, int) and not isinstance(raw, bool):
        return {s: _count(raw, where, "pending") for s in ("red", "amber")}
    if not isinstance(raw, dict):
        raise _fail(where, "pending", "must be a number or a mapping such as {red: 1, amber: 3}")
    unknown = set(raw) - set(SEVERITIES)
    if unknown:
        raise _fail(where, "pending", f"has unknown severities {sorted(unknown)}; use {', '.join(SEVERITIES)}")
    return {str(k): _count(v, where, f"pending.{k}") for k, v in raw.items()}


def _worsen(raw: Any, where: str, name: str, base: Worsening) -> Worsening:
    """``worsen: {step: 0.5, count: 1, z: 1}`` (each optional, over ``base``), or ``worsen: off``."""
    if raw is False or raw == "off":
        return Worsening(base.step, base.count, base.z, enabled=False)
    if raw is None or raw is True or raw == "on":
        return Worsening(base.step, base.count, base.z, enabled=True)
    if not isinstance(raw, dict):
        raise _fail(where, name, "must be a mapping such as {step: 0.5, count: 1, z: 1}, or off")
    unknown = set(raw) - {"step", "count", "z"}
    if unknown:
        raise _fail(where, f"{name}.{sorted(unknown)[0]}", "is not a known field; use step, count or z")
    values = {}
    for key in ("step", "count", "z"):
        value = raw.get(key, getattr(base, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise _fail(where, f"{name}.{key}", "must be a number greater than 0")
        values[key] = float(value)
    return Worsening(**values, enabled=True)


def _env_var(raw: dict, role: str, where: str, at: str) -> str:
    var = raw.get(f"{role}_env")
    if not isinstance(var, str) or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", var):
        raise _fail(where, f"{at}.{role}_env",
                    "must name the environment variable that holds it (secrets never go in this file)")
    return var


def _channel(name: str, raw: Any, where: str, environ: Mapping[str, str]) -> Channel:
    at = f"channels.{name}"
    if not isinstance(raw, dict):
        raise _fail(where, at, "must be a mapping with a type")
    kind = raw.get("type")
    if kind not in CHANNEL_TYPES:
        raise _fail(where, f"{at}.type", f"must be one of {', '.join(CHANNEL_TYPES)}")
    env = {role: _env_var(raw, role, where, at) for role in _ROLES[kind]}
    for key in raw:
        if key not in {"type", *(f"{r}_env" for r in _ROLES[kind]), *_FIELDS.get(kind, ())}:
            raise _fail(where, f"{at}.{key}", "is not a known field (secrets belong in the environment)")
    options = _email_options(raw, where, at, env) if kind == "email" else {}
    secrets = {role: environ[var].strip() for role, var in env.items() if environ.get(var, "").strip()}
    api_base = str(raw.get("api_base", "https://api.telegram.org")).rstrip("/")
    return Channel(name, kind, env, secrets, api_base, options)


_ADDRESS = re.compile(r"[^@\s,<>]+@[^@\s,<>]+")


def _email_options(raw: dict, where: str, at: str, env: dict[str, str]) -> dict[str, Any]:
    """tls, port, and the sender and recipients (in the file, or roles of ``env``); adds the login roles."""
    tls = raw.get("tls", "starttls")
    if tls not in TLS_MODES:
        raise _fail(where, f"{at}.tls", f"must be one of {', '.join(TLS_MODES)} "
                    "(starttls on 587, implicit on 465, none only for a relay on this host)")
    port = raw.get("port", TLS_MODES[tls])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise _fail(where, f"{at}.port", "must be a port number such as 587")
    options: dict[str, Any] = {"tls": tls, "port": port}
    for role, what in (("from", "the sender address"), ("to", "a list of recipient addresses")):
        if role in raw and f"{role}_env" in raw:
            raise _fail(where, f"{at}.{role}", f"and {role}_env are both given: keep one")
        if role not in raw and f"{role}_env" not in raw:
            raise _fail(where, f"{at}.{role}", f"is missing: give {role}: ({what}) or {role}_env: "
                        "(the environment variable that holds it)")
        if role in raw:
            options[role] = _addresses(raw[role], where, f"{at}.{role}", single=role == "from")
        else:
            env[role] = _env_var(raw, role, where, at)
    if ("username_env" in raw) != ("password_env" in raw):
        missing = "password_env" if "username_env" in raw else "username_env"
        raise _fail(where, f"{at}.{missing}", "is needed too: the login takes both (leave out both for a "
                    "server that needs no login)")
    for role in ("username", "password"):
        if f"{role}_env" in raw:
            env[role] = _env_var(raw, role, where, at)
    return options


def _addresses(raw: Any, where: str, field_name: str, *, single: bool) -> Any:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or (single and len(items) > 1) or not all(
            isinstance(x, str) and "," not in x and _ADDRESS.fullmatch(parseaddr(x)[1]) for x in items):
        example = "Heartbeat <heartbeat@bank.example>" if single else "[data-team@bank.example]"
        raise _fail(where, field_name, f"must be {'an email address' if single else 'a list of email addresses'}"
                    f" such as {example}")
    return items[0] if single else tuple(items)


def _route(raw: Any, where: str, channels: dict[str, Channel], worsen: Worsening) -> Route:
    if not isinstance(raw, dict):
        raise _fail(where, "route", "must be a mapping")
    unknown = set(raw) - {"metrics", "tags", "severities", "channels", "pending", "clear", "default", "group_by",
                          "worsen"}
    if unknown:
        raise _fail(where, f"route.{sorted(unknown)[0]}", "is not a known field")
    route_channels = _names(raw.get("channels"), where, "channels")
    if not route_channels:
        raise _fail(where, "channels", "must name at least one channel")
    for name in route_channels:
        if name not in channels:
            raise _fail(where, "channels", f"names {name!r}, which is not declared under channels:")
    severities = _names(raw.get("severities", ["red", "error", "stale"]), where, "severities")
    bad = set(severities) - set(SEVERITIES)
    if bad:
        raise _fail(where, "severities", f"has unknown {sorted(bad)}; use {', '.join(SEVERITIES)}")
    default = bool(raw.get("default", False))
    metrics, tags = _names(raw.get("metrics"), where, "metrics"), _names(raw.get("tags"), where, "tags")
    if not default and not metrics and not tags:
        raise _fail(where, "route", "must match metrics: or tags:, or be the default: true route")
    clear = raw.get("clear")
    group_by = raw.get("group_by")
    if group_by not in (None, "owner"):
        raise _fail(where, "group_by", "must be owner (or left out: one message per alert)")
    return Route(route_channels, metrics, tags, severities, _pending(raw.get("pending"), where),
                 None if clear is None else _count(clear, where, "clear"), default, group_by,
                 _worsen(raw["worsen"], where, "route.worsen", worsen) if "worsen" in raw else None)


def parse(data: Any, environ: Mapping[str, str], where: str = "alerts.yaml") -> AlertConfig:
    """Validate the parsed YAML; every error names the field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _fail(where, "the file", "must be a mapping")
    channels_raw = data.get("channels") or {}
    if not isinstance(channels_raw, dict):
        raise _fail(where, "channels", "must be a mapping of name → channel")
    channels = {str(n): _channel(str(n), c, where, environ) for n, c in channels_raw.items()}
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise _fail(where, "rules", "must be a mapping")
    reminders_raw = rules.get("reminders") or {}
    reminders = Reminders(
        _duration(reminders_raw.get("first", "1h"), where, "rules.reminders.first"),
        float(reminders_raw.get("factor", 2)),
        _duration(reminders_raw.get("max", "24h"), where, "rules.reminders.max"),
    )
    if reminders.factor < 1:
        raise _fail(where, "rules.reminders.factor", "must be 1 or more (reminders never come faster)")
    delivery_raw = data.get("delivery") or {}
    delivery = Delivery(
        _count(delivery_raw.get("max_attempts", 6), where, "delivery.max_attempts"),
        _duration(delivery_raw.get("backoff", "2s"), where, "delivery.backoff"),
        _duration(delivery_raw.get("backoff_max", "5min"), where, "delivery.backoff_max"),
        _duration(delivery_raw.get("timeout", "10s"), where, "delivery.timeout"),
    )
    worsen = _worsen(rules.get("worsen"), where, "rules.worsen", Worsening())
    routes = tuple(_route(r, where, channels, worsen) for r in (data.get("routes") or []))
    if not any(r.default for r in routes):
        # Without a default route an unmatched metric would be silent: exactly the failure alerts exist for.
        if not channels:
            routes += (Route(channels=(), default=True),)
        else:
            raise _fail(where, "routes", "must have one route with default: true")
    pending = {"red": 1, "amber": 3, "error": 1, "stale": 1} | _pending(rules.get("pending"), where)
    return AlertConfig(
        channels=channels, routes=routes, pending=pending,
        clear=_count(rules.get("clear", 2), where, "rules.clear"),
        error_after=_count(rules.get("error_after", 3), where, "rules.error_after"),
        reminders=reminders, delivery=delivery, worsen=worsen,
    )


def load(path: Path, environ: Mapping[str, str] | None = None) -> AlertConfig:
    """Read and validate the routing file; a missing file means no channels (alerts are still evaluated)."""
    env = os.environ if environ is None else environ
    if not path.exists():
        return parse({}, env, str(path))
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise AlertConfigError(f"{path}: not valid YAML ({exc})") from None
    config = parse(data, env, path.name)
    from engine.core.logs import add_secrets  # the log handlers must never write a channel secret

    add_secrets(config.secrets())
    return AlertConfig(**{**config.__dict__, "path": path})
