"""What a notification says, and how each channel wants it shaped.

The payload is built when the notification is enqueued (so the outbox row
says exactly what was true at the transition) and holds no secret; each
channel renders it at send time.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from engine.core import formatting

LINE_NAMES = {"alert": "red line", "norm": "amber line", "band": "typical band"}
SLACK_SECTION_LIMIT = 3000  # Slack refuses a section text longer than this
TELEGRAM_LIMIT = 4096  # Telegram refuses a message longer than this
ICONS = {"red": "🔴", "amber": "🟠", "error": "⚠️", "stale": "⏳", "resolved": "✅", "info": "ℹ️"}


def metric_facts(card: Any, link_base: str, now: datetime) -> dict[str, Any]:
    """The facts of a metric a message quotes, from its read-model card."""
    crossing = card.crossing
    return {
        "metric_id": card.id,
        "name": card.name,
        "value": card.value,
        "value_text": formatting.value(card.value, card.unit, card.currency),
        "status": str(card.status),
        "line": LINE_NAMES.get(crossing.line) if crossing else None,
        "line_text": formatting.value(crossing.line_value, card.unit, card.currency) if crossing else None,
        "period": card.period,
        "unit": card.unit,
        "freshness": str(card.freshness),
        "source_as_of": card.source_as_of.isoformat() if card.source_as_of else None,
        "data_age": formatting.age(card.source_as_of, now),
        "owner": card.owner,
        "verification": card.verification_state,
        "error": card.error,
        "link": f"{link_base}/metrics/{card.id}",
    }


def counted(name: str) -> str | None:
    """The noun a count metric counts, when its name starts with it: "Clients in collateral arrears…" →
    "clients", "Payments in flight…" → "payments"; None when the first word is not a plural noun we can
    trust (an acronym, an adjective: "AML open cases", "Active cards")."""
    first = name.split(" ", 1)[0]
    word = first.lower()
    if not first.isalpha() or first.isupper() or not word.endswith("s") or word.endswith("ss") or len(word) < 4:
        return None
    return word


def worse_text(facts: dict[str, Any], was: dict[str, Any]) -> str:
    """e.g. "worse: 2 clients (was 1 when it fired at 2026-11-30 02:17 UTC)" — the value now against the
    value last told; for a value outside its typical band, how many σ from typical now and then."""
    noun = counted(facts["name"]) if facts.get("unit") == "count" else None
    now_text = f"{facts['value_text']} {noun}" if noun else facts["value_text"]
    was_text = was["value_text"]
    if was.get("by") == "z" and was.get("z") is not None and was.get("z_now") is not None:
        now_text += f", {abs(was['z_now']):.1f}σ from typical"
        was_text = f"{was_text}, {abs(was['z']):.1f}σ"
    return f"worse: {now_text} (was {was_text} when it {was['event']} at {formatting.when(was['at'])})"


def value_message(facts: dict[str, Any], transition: str, severity: str, *, since: datetime | None,
                  fired_at: datetime | None, now: datetime, streak: Any = None,
                  was: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a value alert says; ``streak`` (engine.read.streaks.Streak): how long the history shows it bad;
    ``was`` (a "worse" transition): what the message before told."""
    name = facts["name"]
    if transition == "resolved":
        lasted = formatting.duration((now - fired_at).total_seconds()) if fired_at else "?"
        title = f"{ICONS['resolved']} Resolved: {name} is back within its lines (lasted {lasted})"
    elif transition == "worse" and was is not None:
        title = f"{ICONS.get(severity, '')} {name} is {worse_text(facts, was)}"
    elif facts["line"]:
        verb = "still past" if transition == "reminder" else "crossed"
        title = f"{ICONS.get(severity, '')} {name} {verb} its {facts['line']}"
    else:
        title = f"{ICONS.get(severity, '')} {name} is {severity}"
    lines = [f"Value {facts['value_text']} ({facts['period']})"
             + (f" — {facts['line']} {facts['line_text']}" if facts["line"] else "")]
    if transition != "resolved" and streak is not None:
        lines += [streak.text()]
        since = None  # the history's "since" replaces the alert's own
    lines += _common(facts, since)
    payload = {"kind": "value", "transition": transition, "severity": severity, "title": title.strip(),
               "lines": lines, **facts}
    if streak is not None:
        payload["bad_since"] = streak.as_dict()
    if was is not None:
        payload["was"] = {"value": was["value"], "value_text": was["value_text"], "z": was["z"],
                          "at": was["at"].isoformat() if was["at"] else None, "event": was["event"]}
    if transition == "resolved":  # the incident is over: nothing to prove
        payload.pop("evidence", None)
    return payload


def error_message(facts: dict[str, Any], transition: str, failures: int, *, fired_at: datetime | None,
                  now: datetime) -> dict[str, Any]:
    name = facts["name"]
    if transition == "resolved":
        lasted = formatting.duration((now - fired_at).total_seconds()) if fired_at else "?"
        title = f"{ICONS['resolved']} Resolved: {name} computes again (failed for {lasted})"
        lines = [f"Value {facts['value_text']} ({facts['period']})"]
    else:
        title = f"{ICONS['error']} {name} failed to compute {failures} times in a row"
        lines = [f"Last error: {facts['error'] or 'unknown'}",
                 f"Last good value {facts['value_text']} ({facts['period']})"]
    lines += _common(facts, None)
    return {"kind": "error", "transition": transition, "severity": "error", "title": title,
            "lines": lines, **facts}


def _common(facts: dict[str, Any], since: datetime | None) -> list[str]:
    lines = []
    if since is not None:
        lines.append(f"Bad since {formatting.when(since)}")
    lines.append(f"Data as of {facts['data_age']} (freshness: {facts['freshness']})")
    lines.append(f"Owner: {facts['owner'] or 'nobody — set one on the metric page'} · "
                 f"{facts['verification']}")
    return lines


def stale_message(source: str, schema: str, last_success: datetime | None, limit_seconds: float,
                  owners: list[str], metric_ids: list[str], transition: str, link_base: str,
                  fired_at: datetime | None, now: datetime) -> dict[str, Any]:
    where = f"{source}/{schema}"
    if transition == "resolved":
        lasted = formatting.duration((now - fired_at).total_seconds()) if fired_at else "?"
        title = f"{ICONS['resolved']} Resolved: data of {where} is fresh again (was late for {lasted})"
    else:
        title = f"{ICONS['stale']} Data late for {where} since {formatting.when(last_success)}"
    lines = [
        f"Last successful sync: {formatting.when(last_success)} ({formatting.age(last_success, now)}); "
        f"limit {formatting.duration(limit_seconds)}",
        f"Metrics reading it: {', '.join(metric_ids)} (value alerts of those reading only late data are held "
        "back while it is late)",
        f"Owner: {', '.join(owners) or 'nobody — set owners on its metrics'}",
    ]
    return {"kind": "stale", "transition": transition, "severity": "stale", "title": title, "lines": lines,
            "source": source, "schema": schema, "since": last_success.isoformat() if last_success else None,
            "owners": owners, "metric_ids": metric_ids, "link": f"{link_base}/metrics/{metric_ids[0]}"
            if metric_ids else link_base}


def silence_expired_message(silence: dict[str, Any], firing: list[str], link_base: str) -> dict[str, Any]:
    target = f"metric {silence['metric_id']}" if silence["metric_id"] else f"tag {silence['tag']}"
    title = f"{ICONS['info']} Silence on {target} expired"
    lines = [f"Reason was: {silence['reason']} (by {silence['created_by']})",
             f"Firing now: {', '.join(firing) if firing else 'nothing'}"]
    return {"kind": "silence", "transition": "expired", "severity": "info", "title": title, "lines": lines,
            "silence_id": silence["id"], "link": f"{link_base}/alerts"}


def test_message(channel: str, link_base: str) -> dict[str, Any]:
    return {"kind": "test", "transition": "test", "severity": "info",
            "title": f"{ICONS['info']} Heartbeat test message for channel {channel}",
            "lines": ["If you can read this, alerts reach this channel."], "link": link_base}


def group_message(members: list[dict[str, Any]], transition: str) -> dict[str, Any]:
    """Several alerts of one owner from one refresh, as one message: each member's title and first line."""
    owner = members[0].get("owner") or "nobody"
    worst = "red" if any(m.get("severity") == "red" for m in members) else members[0].get("severity", "info")
    icon = ICONS["resolved"] if transition == "resolved" else ICONS.get(worst, "")
    verb = {"resolved": "resolved", "reminder": "still firing", "worse": "worse"}.get(transition, "firing")
    title = f"{icon} {len(members)} alerts {verb} for {owner}"
    lines = []
    for member in members:
        fresh = f"; data {member['freshness']}" if member.get("freshness") else ""
        since = member.get("bad_since") if transition != "resolved" else None
        since_text = f"; {since['text'][0].lower()}{since['text'][1:]}" if since else ""
        lines.append(f"• {member['title']} — {member['lines'][0]}{since_text}{fresh} ({member['link']})")
    return {"kind": "group", "transition": transition, "severity": worst, "title": title, "lines": lines,
            "owner": owner, "alert_keys": [m.get("alert_key") for m in members],
            "members": members, "link": members[0]["link"]}


def evidence_lines(payload: dict[str, Any]) -> list[str]:
    """The cut that explains a value alert, quoted: its title and headline, then its top rows (a table's).

    e.g. "Evidence: Unpaid card collateral, per company and month (180d) — 4 unpaid month(s) at 1 company…",
    "Company · Month · Amount due (EUR) · Covered by us (EUR)", "• Acme GmbH · 2026-08 · 10,000.00 · …".
    Plain text: each channel escapes it its own way.
    """
    evidence = payload.get("evidence")
    if not evidence:
        return []
    head = f"Evidence: {evidence['title']} ({evidence['window']})"
    lines = [head + (f" — {evidence['headline']}" if evidence.get("headline") else "")]
    if evidence.get("rows"):
        lines.append(" · ".join(evidence["columns"]))
        lines += ["• " + " · ".join(row) for row in evidence["rows"]]
    return lines


def _links(payload: dict[str, Any]) -> list[str]:
    evidence = payload.get("evidence")
    return [payload.get("link", "")] + ([f"Evidence: {evidence['link']}"] if evidence else [])


def plain_text(payload: dict[str, Any]) -> str:
    """Mail and webhook text: title, facts, the evidence rows, then the metric's and the cut's links."""
    return "\n".join([payload["title"], *payload["lines"], *evidence_lines(payload), *_links(payload)]).strip()


def _fit(lines: list[str], limit: int, measure) -> list[str]:
    """The longest prefix of ``lines`` whose rendering fits ``limit``: rows are dropped, never cut in half
    (a half row misquotes, and a half HTML tag makes Telegram refuse the whole message)."""
    kept: list[str] = []
    for line in lines:
        if measure(kept + [line]) > limit:
            break
        kept.append(line)
    return kept


def email_subject(payload: dict[str, Any]) -> str:
    """The title as a mail subject, saying how bad up front and, for a value, the value against its line.

    e.g. "[Heartbeat] RED: Payment approval rate crossed its red line (85.0% vs 90.0%)".
    """
    icon, _, rest = payload["title"].partition(" ")
    title = rest if icon in ICONS.values() else payload["title"]
    if payload.get("transition") != "resolved" and payload.get("severity") in ("red", "amber", "error", "stale"):
        title = f"{payload['severity'].upper()}: {title}"
        if payload.get("kind") == "value" and payload.get("line_text"):
            title += f" ({payload['value_text']} vs {payload['line_text']})"
    return f"[Heartbeat] {title}"[:200]


def slack_escape(text: str) -> str:
    """Text as Slack shows it literally: ``<!channel>`` in an owner or a SQL error must not ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(payload: dict[str, Any]) -> dict[str, Any]:
    """Block Kit: a header, the facts, the evidence rows, and links to the metric and its cut; every quoted
    text escaped for mrkdwn, each section within Slack's 3000 characters."""
    def section(lines: list[str]) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape("\n".join(lines))}}

    def measure(lines: list[str]) -> int:
        return len(slack_escape("\n".join(lines)))

    links = [{"type": "mrkdwn", "text": f"<{payload['link']}|Open in Heartbeat>"}]
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": payload["title"][:150], "emoji": True}},
              section(_fit(payload["lines"], SLACK_SECTION_LIMIT, measure))]
    evidence = _fit(evidence_lines(payload), SLACK_SECTION_LIMIT, measure)
    if evidence:
        blocks.append(section(evidence))
        links.append({"type": "mrkdwn", "text": f"<{payload['evidence']['link']}|Open the evidence>"})
    blocks.append({"type": "context", "elements": links})
    # the notification preview (parsed as mrkdwn)
    return {"text": slack_escape(payload["title"]), "blocks": blocks}


def telegram_body(payload: dict[str, Any], chat_id: str) -> dict[str, Any]:
    """HTML within Telegram's 4096 characters: the links are kept, evidence rows dropped first if long."""
    links = [f'<a href="{html.escape(payload["link"])}">Open in Heartbeat</a>']
    if payload.get("evidence"):
        links.append(f'<a href="{html.escape(payload["evidence"]["link"])}">Open the evidence</a>')
    head = [f"<b>{html.escape(payload['title'][:300])}</b>"]
    body = [html.escape(x) for x in [*payload["lines"], *evidence_lines(payload)]]
    kept = _fit(body, TELEGRAM_LIMIT, lambda lines: len("\n".join(head + lines + links)))
    return {"chat_id": chat_id, "text": "\n".join(head + kept + links), "parse_mode": "HTML",
            "disable_web_page_preview": True}
