"""Sending one rendered notification to one channel: over HTTP, where success is a 2xx and anything
else raises, or, for an email channel, over SMTP (``engine.alerts.smtp``)."""

from __future__ import annotations

from typing import Any

import httpx

from engine.alerts import messages
from engine.alerts.config import Channel
from engine.version import VERSION


class SendFailed(Exception):
    """A send did not succeed; the message never contains a secret (the caller masks it again anyway)."""


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
    """Deliver one notification to one channel within ``timeout``, or raise SendFailed."""
    if not channel.configured:
        raise SendFailed(f"channel {channel.name} is not configured: set {', '.join(channel.missing)}")
    if channel.type == "email":
        from engine.alerts import smtp  # imported here: smtp raises this module's SendFailed

        smtp.send(channel, payload, idempotency_key, timeout)
        return
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
