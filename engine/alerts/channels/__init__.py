"""Channels: deliver one rendered notification to Slack, Telegram, a webhook (``http``) or email (``smtp``)."""

from __future__ import annotations

from typing import Any

import httpx

from engine.alerts.channels import http, smtp
from engine.alerts.channels.base import SendFailed
from engine.alerts.config import Channel

__all__ = ["SendFailed", "send"]


def send(client: httpx.Client, channel: Channel, payload: dict[str, Any], idempotency_key: str,
         timeout: float) -> None:
    """Deliver one notification to one channel within ``timeout``, or raise SendFailed."""
    if not channel.configured:
        raise SendFailed(f"channel {channel.name} is not configured: set {', '.join(channel.missing)}")
    if channel.type == "email":
        smtp.send(channel, payload, idempotency_key, timeout)
    else:
        http.send(client, channel, payload, idempotency_key, timeout)
