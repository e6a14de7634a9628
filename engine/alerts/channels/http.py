"""Slack, Telegram and webhook channels: one POST each, where success is a 2xx and anything else raises."""

from __future__ import annotations

from typing import Any

import httpx

from engine.alerts import messages
from engine.alerts.channels.base import SendFailed
from engine.alerts.config import Channel
from engine.core.version import VERSION


def request_for(channel: Channel, payload: dict[str, Any], idempotency_key: str) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body a channel expects."""
    if channel.type == "slack":
        return channel.secrets["url"], messages.slack_body(payload)
    if channel.type == "telegram":
        url = f"{channel.api_base}/bot{channel.secrets['bot_token']}/sendMessage"
        return url, messages.telegram_body(payload, channel.secrets["chat_id"])
    body = {k: v for k, v in payload.items()}
    body["idempotency_key"] = idempotency_key
    body["text"] = messages.plain_text(payload)
    return channel.secrets["url"], body


def send(client: httpx.Client, channel: Channel, payload: dict[str, Any], idempotency_key: str,
         timeout: float) -> None:
    """POST one notification to one HTTP channel within ``timeout``, or raise SendFailed."""
    url, body = request_for(channel, payload, idempotency_key)
    headers = {"Idempotency-Key": idempotency_key, "User-Agent": f"heartbeat/{VERSION}"}
    try:
        response = client.post(url, json=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        raise SendFailed(f"{channel.name}: no answer within {timeout:g}s") from None
    except httpx.HTTPError as exc:
        # The exception text can quote the URL (a secret for Slack and webhooks): name only its type.
        raise SendFailed(f"{channel.name}: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise SendFailed(f"{channel.name}: HTTP {response.status_code} {response.text[:200]}")
    if channel.type == "telegram":
        try:
            ok = response.json().get("ok", False)
        except ValueError:
            ok = False
        if not ok:
            raise SendFailed(f"{channel.name}: Telegram answered without ok: {response.text[:200]}")
