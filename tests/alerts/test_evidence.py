"""Value alerts carry their evidence: the metric's first cut linked, its top rows quoted, escaped per channel,
within each channel's size limit — through a real refresh, evaluation, outbox and local receivers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine import refresh
from engine.alerts import evaluate, messages
from engine.audit import snapshots
from engine.refresh import RefreshRequest
from tests.support.alerting import drain, make_config
from tests.support.factories import outbox_rows

APPROVAL = "SELECT 100.0 * count(*) FILTER (WHERE state = 'approved') / count(*) FROM webbank_core.payment"
COMPANY = "Acme <!channel> & <b>Co</b>"
CUT = f'''
META = {{"page": "journeys", "title": "Payments per state", "order": 10, "kind": "table",
         "metrics": ["approval_rate"], "sources": ["webbank.core"], "windows": ["30d"]}}


def compute(conn, *, window):
    rows = conn.rows("SELECT '{COMPANY}', state, count(*) FROM webbank_core.payment GROUP BY 2 ORDER BY 3 DESC")
    return {{"kind": "table", "columns": ["Company", "State", "Payments"], "rows": [list(r) for r in rows],
             "headline": "2 states"}}
'''


def test_a_value_alert_links_its_first_cut_and_quotes_its_rows_in_every_channel(refresh_env, receivers,
                                                                                 tmp_path: Path):
    slack, telegram = receivers(), receivers()
    config = make_config(slack=slack, telegram=telegram)
    refresh_env.folder.write("approval_rate", APPROVAL, norm="97", alert="95")  # 90 % approved: red
    _, state = refresh.run(refresh_env.ctx, RefreshRequest(["approval_rate"], "cli"))  # lands the payments
    assert state.status == "succeeded", state.error
    cuts = tmp_path / "cuts"
    cuts.mkdir()
    (cuts / "payment_states.py").write_text(CUT)
    assert all(r.ok for r in snapshots.refresh(refresh_env.ctx.compute, folder=cuts))

    def hook(job_id, results):
        evaluate(refresh_env.ctx.db.engine(), config, link_base="http://hb", computed=[r.metric_id for r in results])

    ctx = replace(refresh_env.ctx, after_compute=(hook,))
    refresh.run(ctx, RefreshRequest(["approval_rate"], "cli"))
    drain(ctx.db, config, lambda: len(slack.bodies) == 1 and len(telegram.bodies) == 1)

    blocks = slack.bodies[0]["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context"]
    quoted = blocks[2]["text"]["text"]
    assert quoted.startswith("Evidence: Payments per state (30d) — 2 states")
    assert "• Acme &lt;!channel&gt; &amp; &lt;b&gt;Co&lt;/b&gt; · approved · 450" in quoted  # no ping, no markup
    assert "<http://hb/audit/journeys#payment_states|Open the evidence>" in str(blocks[3])

    text = telegram.bodies[0]["text"]
    assert "• Acme &lt;!channel&gt; &amp; &lt;b&gt;Co&lt;/b&gt; · declined · 50" in text
    assert text.endswith('<a href="http://hb/audit/journeys#payment_states">Open the evidence</a>')

    [row] = outbox_rows(ctx.db)[:1]
    mail = messages.plain_text(row["payload"])  # the body of the mail (channels/smtp.py) and of a webhook
    assert f"• {COMPANY} · approved · 450" in mail and "Evidence: http://hb/audit/journeys#payment_states" in mail


def test_long_evidence_is_cut_by_whole_rows_within_each_channel_limit():
    payload = {"title": "🔴 X crossed its red line", "lines": ["Value 1"], "link": "http://hb/metrics/x",
               "evidence": {"title": "T", "window": "30d", "headline": None, "link": "http://hb/audit/clients#t",
                            "columns": ["A"], "rows": [["<" * 40]] * 400}}
    text = messages.telegram_body(payload, "1")["text"]
    assert len(text) <= messages.TELEGRAM_LIMIT and text.endswith("Open the evidence</a>")
    assert all(line.endswith("&lt;") for line in text.splitlines() if line.startswith("•"))  # whole rows only
    blocks = messages.slack_body(payload)["blocks"]
    assert all(len(b["text"]["text"]) <= messages.SLACK_SECTION_LIMIT for b in blocks if b["type"] == "section")
